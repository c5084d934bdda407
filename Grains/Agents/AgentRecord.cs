namespace Agents.Agents;

/// <summary>What an agent grain stores: the agent's own state as JSON, its counters, and the ids of the signals it handled last (for dedupe).</summary>
public sealed class AgentRecord
{
    /// <summary>How many handled signal ids are remembered to skip redeliveries.</summary>
    internal const int RememberedSignals = 256;

    public string? State { get; set; }

    public long SignalsHandled { get; set; }

    public long SignalsDeadLettered { get; set; }

    public long Asks { get; set; }

    public List<string> RecentSignalIds { get; set; } = [];
}
