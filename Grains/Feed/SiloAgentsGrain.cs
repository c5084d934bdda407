using Agents.Agents;
using Agents.Signals;

namespace Agents.Feed;

/// <summary>The agents service on one silo, reachable by the silo's address. See <see cref="ISiloAgentsGrain"/>.</summary>
[GrainType("silo-agents")]
[SiloKeyedPlacement]
public sealed class SiloAgentsGrain(SignalFeed feed, LocalAgentCensus census, Runtime.Reminders.IReminderStatus reminders) : Grain, ISiloAgentsGrain
{
    public Task Feed(Signal signal)
    {
        feed.Publish(signal);
        return Task.CompletedTask;
    }

    public Task FeedBatch(Signal[] signals)
    {
        foreach (var signal in signals)
        {
            feed.Publish(signal);
        }

        return Task.CompletedTask;
    }

    public Task<SiloCensus> Census() => Task.FromResult(new SiloCensus { Agents = census.Snapshot(), RemindersTicking = reminders.Ticking });
}
