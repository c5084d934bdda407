using System.Threading.Channels;
using Agents.Signals;

namespace Agents.Feed;

/*
 * The live feed of signals on one silo: what SSE followers and client taps read.
 *
 * Invariants
 *  - Every signal dispatched anywhere in the cluster reaches every Active silo's feed once: the
 *    topic's dispatcher hands it to its own silo's feed directly and to every other Active silo's
 *    through that silo's ISiloAgentsGrain (silo-keyed placement, one-way calls). See
 *    SignalFeedFanOut.
 *  - Per topic, a subscription sees signals in the topic's stream order: one dispatcher per topic
 *    hands them over in that order, calls from one sender to one activation run in send order,
 *    and Publish is synchronous.
 *  - Subscribing is local and synchronous: a signal whose dispatch starts after Subscribe returned
 *    reaches the subscription (on this silo's view of the cluster).
 *  - Bounded: a subscription buffers at most its capacity; a reader that falls behind loses the
 *    oldest signals, counted in Dropped. The dispatcher never waits for a reader.
 */

/// <summary>The live signals of this silo, for followers. See the invariants at the top of this file.</summary>
public sealed class SignalFeed
{
    /// <summary>Signals a subscription buffers for a slow reader before dropping the oldest.</summary>
    public const int DefaultCapacity = 4096;

    private readonly Lock _lock = new();
    private volatile SignalSubscription[] _subscriptions = [];

    /// <summary>Whether anyone follows signals on this silo (checked per signal before any work).</summary>
    public bool HasSubscribers => _subscriptions.Length > 0;

    /// <summary>Follows signals whose topic matches <paramref name="pattern"/> until the subscription is disposed.</summary>
    public SignalSubscription Subscribe(TopicPattern pattern, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new SignalSubscription(this, pattern, capacity);
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }

        return subscription;
    }

    /// <summary>Offers <paramref name="signal"/> to every matching subscription; never blocks.</summary>
    public void Publish(Signal signal)
    {
        foreach (var subscription in _subscriptions)
        {
            if (subscription.Pattern.Matches(signal.Topic))
            {
                subscription.Offer(signal);
            }
        }
    }

    internal void Remove(SignalSubscription subscription)
    {
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }
}

/// <summary>One follower's view of the feed: a bounded buffer of matching signals.</summary>
public sealed class SignalSubscription : IDisposable
{
    private readonly SignalFeed _feed;
    private readonly Channel<Signal> _buffer;
    private long _dropped;

    internal SignalSubscription(SignalFeed feed, TopicPattern pattern, int capacity)
    {
        _feed = feed;
        Pattern = pattern;
        _buffer = Channel.CreateBounded<Signal>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
    }

    public TopicPattern Pattern { get; }

    /// <summary>The signals, in arrival order; completes when the subscription is disposed.</summary>
    public ChannelReader<Signal> Reader => _buffer.Reader;

    /// <summary>Signals dropped so far because the reader fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Takes the count of signals dropped since the last call.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    internal void Offer(Signal signal) => _buffer.Writer.TryWrite(signal);

    public void Dispose()
    {
        _feed.Remove(this);
        _buffer.Writer.TryComplete();
    }
}
