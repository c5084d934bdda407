using System.Text.Json.Serialization;

namespace Agents.Agents;

/// <summary>What an agent grain stores: the agent's own state as JSON, its counters, and the signals it handled last (for dedupe).</summary>
public sealed class AgentRecord
{
    /// <summary>How many handled signals are remembered to skip redeliveries.</summary>
    internal const int RememberedSignals = 256;

    public string? State { get; set; }

    public long SignalsHandled { get; set; }

    public long SignalsDeadLettered { get; set; }

    public long Asks { get; set; }

    /// <summary>
    /// The fingerprints of the last handled signal ids, oldest first: 16 bytes each (XxHash128 of the id, little-endian);
    /// base64 in the stored JSON. See <see cref="RecentSignalIds"/>.
    /// </summary>
    public byte[]? RecentSignals { get; set; }

    /// <summary>The handled signal ids themselves, as records written before fingerprints kept them; read, never written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? RecentSignalIds { get; set; }
}
