using Agents.Agents;
using Agents.Runtime.Hosting;
using Agents.Signals;

namespace Agents.Feed;

/// <summary>
/// Hands each dispatched signal to every Active silo's feed: this silo's directly (and only when
/// someone follows here), the others' by a one-way call to their <see cref="ISiloAgentsGrain"/>.
/// On a single silo it costs one volatile read per signal when nobody follows; in a cluster, a
/// dispatcher's batch is one message per other silo (or a few, for large signals).
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

    /// <summary>Like <see cref="Publish"/> for consecutive signals of one dispatcher: one message per other silo for all of them.</summary>
    public void PublishBatch(IReadOnlyList<Signal> signals)
    {
        if (signals.Count == 0)
        {
            return;
        }

        if (signals.Count == 1)
        {
            Publish(signals[0]);
            return;
        }

        if (local.HasSubscribers)
        {
            for (var i = 0; i < signals.Count; i++)
            {
                local.Publish(signals[i]);
            }
        }

        var self = cluster.LocalSilo;
        var silos = cluster.ActiveSilos;
        List<Signal[]>? chunks = null;
        for (var i = 0; i < silos.Count; i++)
        {
            var silo = silos[i];
            if (silo != self)
            {
                // One-way, in order: a slow or dying silo never holds back the dispatcher.
                var feed = grains.GetGrain<ISiloAgentsGrain>(silo.ToString());
                foreach (var chunk in chunks ??= Chunks(signals))
                {
                    _ = feed.FeedBatch(chunk);
                }
            }
        }
    }

    /// <summary>The signals in messages of at most <see cref="MaxMessageBytes"/> by their size estimate (one signal at least each).</summary>
    internal static List<Signal[]> Chunks(IReadOnlyList<Signal> signals)
    {
        var chunks = new List<Signal[]>();
        for (var start = 0; start < signals.Count;)
        {
            var count = SignalBatches.Fit(signals.Skip(start), int.MaxValue, MaxMessageBytes);
            chunks.Add([.. signals.Skip(start).Take(count)]);
            start += count;
        }

        return chunks;
    }

    /// <summary>The most bytes (by the signals' own estimate) one feed message carries past its first signal: well inside the default frame limit.</summary>
    internal const int MaxMessageBytes = 1 << 20;
}
