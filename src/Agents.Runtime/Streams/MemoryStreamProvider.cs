using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Agents.Runtime.Catalog;
using Agents.Runtime.Core;
using Agents.Runtime.Hosting;
using Agents.Streams;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Streams;

/*
 * Streams within one silo's memory.
 *
 * Subscriptions: explicit ones are kept here (they outlive activations but not the process);
 * implicit ones are computed from [ImplicitStreamSubscription] on grain classes: a stream
 * (namespace, key) goes to grain (type, key) of every class subscribed to that namespace, under a
 * subscription id derived from (grain type, namespace) so the grain's observer can be found.
 *
 * Order: every stream has one queue and one pump. The pump hands a batch of events to all
 * subscribers and waits for all of them before the next batch; each subscriber takes a batch's
 * events in order, so it sees the stream in production order (StreamQueue.cs).
 * A subscriber that throws is logged; the event is not retried (memory streams are best effort;
 * durable streams with retries and dead letters are the PostgreSQL provider's job).
 */

/// <summary>The in-memory stream provider.</summary>
internal sealed partial class MemoryStreamProvider : IStreamProvider
{
    private readonly ConcurrentDictionary<StreamId, StreamQueue> _streams = new();
    private readonly SiloRuntime _runtime;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ImplicitSubscriber[]> _implicitSubscribers;

    public MemoryStreamProvider(string name, SiloRuntime runtime, ILoggerFactory loggerFactory, int maxFrameSize = Networking.NetworkingOptions.DefaultMaxFrameSize)
    {
        Name = name;

        // A delivery to a subscriber on another silo is one frame: its items, by their own estimate, stay well inside the limit.
        MaxDeliveryBytes = Math.Max(1, maxFrameSize / 4);
        _runtime = runtime;
        _logger = loggerFactory.CreateLogger("Agents.Runtime.Streams");
        _implicitSubscribers = runtime.Registry.Classes
            .SelectMany(c => c.ImplicitStreamSubscriptions.Select(a => (a.Namespace, Subscriber: new ImplicitSubscriber(c.GrainType, a.MaxBatch))))
            .GroupBy(x => x.Namespace, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Subscriber).ToArray(), StringComparer.Ordinal);
    }

    public string Name { get; }

    /// <summary>The most bytes of sized items (<see cref="IStreamItemSize"/>) one delivery carries, past its first item.</summary>
    internal int MaxDeliveryBytes { get; }

    public bool IsRewindable => false;

    public IAsyncStream<T> GetStream<T>(StreamId streamId) => new MemoryStream<T>(this, streamId);

    internal StreamQueue GetQueue(StreamId streamId) => _streams.GetOrAdd(streamId, static (id, p) => new StreamQueue(id, p), this);

    internal SiloRuntime Runtime => _runtime;

    /// <summary>The implicit subscription of <paramref name="grainType"/> to streams in <paramref name="streamNamespace"/>, if it has one.</summary>
    internal bool TryGetImplicitSubscription(GrainType grainType, string streamNamespace, out Guid subscriptionId)
    {
        if (_implicitSubscribers.TryGetValue(streamNamespace, out var subscribers) && Array.Exists(subscribers, s => s.GrainType == grainType))
        {
            subscriptionId = ImplicitSubscriptionId(grainType, streamNamespace);
            return true;
        }

        subscriptionId = default;
        return false;
    }

    internal IEnumerable<(GrainId Grain, Guid SubscriptionId, int MaxBatch)> ImplicitSubscribers(StreamId streamId)
    {
        if (!_implicitSubscribers.TryGetValue(streamId.Namespace, out var subscribers))
        {
            yield break;
        }

        foreach (var subscriber in subscribers)
        {
            yield return (new GrainId(subscriber.GrainType, streamId.Key), ImplicitSubscriptionId(subscriber.GrainType, streamId.Namespace), subscriber.MaxBatch);
        }
    }

    /// <summary>The most items a delivery of a stream in <paramref name="streamNamespace"/> carries to any of its subscribers.</summary>
    internal int MaxBatchOf(string streamNamespace) =>
        _implicitSubscribers.TryGetValue(streamNamespace, out var subscribers)
            ? Math.Max(ImplicitStreamSubscriptionAttribute.DefaultMaxBatch, subscribers.Max(s => s.MaxBatch))
            : ImplicitStreamSubscriptionAttribute.DefaultMaxBatch;

    private readonly record struct ImplicitSubscriber(GrainType GrainType, int MaxBatch);

    private static readonly ConcurrentDictionary<(GrainType, string), Guid> ImplicitIds = new();

    private static Guid ImplicitSubscriptionId(GrainType grainType, string streamNamespace) =>
        ImplicitIds.GetOrAdd((grainType, streamNamespace), static key => ComputeImplicitSubscriptionId(key.Item1, key.Item2));

    private static Guid ComputeImplicitSubscriptionId(GrainType grainType, string streamNamespace)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"implicit:{grainType}:{streamNamespace}"), hash);
        return new Guid(hash[..16]);
    }

    /// <summary>The activation on whose turn this code runs, if any: the subscriber when a grain subscribes.</summary>
    internal static ActivationData? CurrentActivation => RuntimeContext.Current;

    [LoggerMessage(2000, LogLevel.Warning, "Delivering an event of stream {StreamId} to {Subscriber} failed; the event is skipped for that subscriber")]
    internal partial void LogDeliveryFailed(StreamId streamId, string subscriber, Exception exception);
}
