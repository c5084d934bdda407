using Agents.Signals;

namespace Agents.Agents;

/// <summary>
/// The agents service's presence on one silo (key = the silo's address, <c>host:port@generation</c>;
/// the grain lives on that silo): how the cluster reaches every silo's live signal feed and
/// counts the agents active on each.
/// </summary>
[DefaultGrainType("silo-agents")]
public interface ISiloAgentsGrain : IGrainWithStringKey
{
    /// <summary>Hands a dispatched signal to this silo's live feed (SSE followers, client taps).</summary>
    [OneWay]
    Task Feed(Signal signal);

    /// <summary>Hands dispatched signals, in order, to this silo's live feed: one message for a dispatcher's whole batch.</summary>
    [OneWay]
    Task FeedBatch(Signal[] signals);

    /// <summary>The agents active on this silo now, by agent type, and the reminders it ticks.</summary>
    [ReadOnly]
    Task<SiloCensus> Census();
}

/// <summary>What one silo hosts now.</summary>
[GenerateSerializer]
[Immutable]
public sealed record SiloCensus
{
    /// <summary>Active agents by agent type.</summary>
    [Id(0)]
    public Dictionary<string, long> Agents { get; init; } = [];

    /// <summary>Reminders this silo ticks (its share of the cluster's reminders).</summary>
    [Id(1)]
    public int RemindersTicking { get; init; }
}
