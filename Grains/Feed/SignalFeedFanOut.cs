using Agents.Agents;
using Agents.Runtime.Hosting;
using Agents.Signals;

namespace Agents.Feed;

/// <summary>
/// Hands each dispatched signal to every Active silo's feed: this silo's directly (and only when
/// someone follows here), the others' by a one-way call to their <see cref="ISiloAgentsGrain"/>.
/// On a single silo it costs one volatile read per signal when nobody follows.
/// </summary>
public sealed class SignalFeedFanOut(SignalFeed local, IClusterStatus cluster, IGrainFactory grains)
{
    public void Publish(Signal signal)
    {
        if (local.HasSubscribers)
        {
            local.Publish(signal);
        }

        var self = cluster.LocalSilo;
        var silos = cluster.ActiveSilos;
        for (var i = 0; i < silos.Count; i++) // no enumerator allocated per signal
        {
            var silo = silos[i];
            if (silo != self)
            {
                // One-way: a slow or dying silo never holds back the dispatcher.
                _ = grains.GetGrain<ISiloAgentsGrain>(silo.ToString()).Feed(signal);
            }
        }
    }
}
