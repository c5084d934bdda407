using Agents.Streams;

namespace Agents.Runtime.Streams;

/*
 * One stream's subscriptions, its pending events and its pump.
 *
 * Invariants
 *  - Order: events are delivered in queue order. The pump hands a batch to every subscriber and
 *    waits for all of them before the next batch; within a batch a subscriber takes the events one
 *    after another (StreamDeliveryRequest), so each subscriber sees the stream in production order.
 *  - Batching: a batch is the consecutive items waiting when the pump looks (at most the largest
 *    MaxBatch any implicit subscriber of the namespace asks for, 256 by default), or one end/error
 *    event alone. Each subscriber gets the batch in deliveries of at most its own MaxBatch (explicit
 *    subscribers: 256), one after another. Under load one delivery turn carries many items instead
 *    of one round trip per item, which is what bounds a single stream's throughput; when idle, a
 *    batch is one item and the latency is that of one call.
 *  - The pump runs only while there are events, so idle streams cost no task or thread.
 */

/// <summary>One stream's subscriptions, pending events and pump; see the invariants at the top of this file.</summary>
internal sealed class StreamQueue(StreamId streamId, MemoryStreamProvider provider)
{
    private readonly int _maxBatch = provider.MaxBatchOf(streamId.Namespace);
    private readonly Queue<StreamEvent> _events = new();
    private readonly List<Subscription> _subscriptions = [];
    private long _sequence;
    private int _pumping;

    public StreamId StreamId { get; } = streamId;

    /// <summary>
    /// Appends an event. Its sequence number is assigned under the same lock that appends it, so
    /// token order is queue order is delivery order, whatever the number of producers.
    /// </summary>
    public void Enqueue<TState>(TState state, Func<TState, long, StreamEvent> create)
    {
        lock (_events)
        {
            _events.Enqueue(create(state, ++_sequence));
        }

        StartPump();
    }

    /// <summary>Appends items in their order, as one step: no other producer's event lands between them.</summary>
    public void EnqueueItems<T>(IEnumerable<T> items)
    {
        // Taken in full first: the caller's enumerable neither runs under the lock nor can stop halfway through the append.
        var all = items as T[] ?? [.. items];
        lock (_events)
        {
            foreach (var item in all)
            {
                _events.Enqueue(new StreamItemEvent<T>(item, ++_sequence));
            }
        }

        StartPump();
    }

    private void StartPump()
    {
        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            // The pump must not inherit the producer's call chain: a delivery does not wait on its producer.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(PumpAsync);
            }
        }
    }

    public Subscription AddSubscription(Guid id, GrainId? grain, object? clientObserver)
    {
        var subscription = new Subscription(id, grain) { ClientObserver = clientObserver };
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }

        return subscription;
    }

    public bool RemoveSubscription(Guid id)
    {
        lock (_subscriptions)
        {
            return _subscriptions.RemoveAll(s => s.Id == id) > 0;
        }
    }

    public Subscription? FindSubscription(Guid id)
    {
        lock (_subscriptions)
        {
            return _subscriptions.Find(s => s.Id == id);
        }
    }

    public Subscription[] SubscriptionsOf(GrainId? grain)
    {
        lock (_subscriptions)
        {
            return _subscriptions.Where(s => s.Grain == grain).ToArray();
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            while (TryDequeueBatch() is { } batch)
            {
                await DeliverAsync(batch);
            }

            Volatile.Write(ref _pumping, 0);
            // An event enqueued after the last TryDequeue but before the flag was cleared would be
            // stranded: take the pump back if so.
            if (IsEmpty() || Interlocked.CompareExchange(ref _pumping, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private StreamEvent[]? TryDequeueBatch()
    {
        lock (_events)
        {
            if (!_events.TryPeek(out var first))
            {
                return null;
            }

            if (!first.IsItem || _events.Count == 1)
            {
                return [_events.Dequeue()];
            }

            var count = 1;
            foreach (var next in _events)
            {
                if (count == _maxBatch)
                {
                    break;
                }

                if (ReferenceEquals(next, first))
                {
                    continue;
                }

                if (!next.IsItem)
                {
                    break;
                }

                count++;
            }

            var batch = new StreamEvent[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = _events.Dequeue();
            }

            return batch;
        }
    }

    private bool IsEmpty()
    {
        lock (_events)
        {
            return _events.Count == 0;
        }
    }

    private async Task DeliverAsync(StreamEvent[] batch)
    {
        Subscription[] explicitSubscriptions;
        lock (_subscriptions)
        {
            explicitSubscriptions = _subscriptions.Count == 0 ? [] : [.. _subscriptions];
        }

        // The subscriber is only named when its delivery failed.
        var deliveries = new List<(object Subscriber, Task Delivery)>();
        foreach (var (grain, subscriptionId, maxBatch) in provider.ImplicitSubscribers(StreamId))
        {
            deliveries.Add((grain, DeliverToGrain(grain, subscriptionId, batch, maxBatch)));
        }

        foreach (var subscription in explicitSubscriptions)
        {
            if (subscription.Grain is { } grain)
            {
                deliveries.Add((grain, DeliverToGrain(grain, subscription.Id, batch, ImplicitStreamSubscriptionAttribute.DefaultMaxBatch)));
            }
            else if (subscription.ClientObserver is { } observer)
            {
                deliveries.Add((subscription, DeliverToClientAsync(observer, batch)));
            }
        }

        foreach (var (subscriber, delivery) in deliveries)
        {
            try
            {
                await delivery;
            }
            catch (Exception exception)
            {
                var name = subscriber is Subscription client ? $"client subscription {client.Id}" : subscriber.ToString()!;
                provider.LogDeliveryFailed(StreamId, name, exception);
            }
        }
    }

    /// <summary>The batch in deliveries of at most <paramref name="maxBatch"/> events (and MaxDeliveryBytes), each awaited before the next.</summary>
    private Task DeliverToGrain(GrainId grain, Guid subscriptionId, StreamEvent[] batch, int maxBatch)
    {
        var firstEnd = DeliveryEnd(batch, 0, maxBatch, provider.MaxDeliveryBytes);
        return firstEnd == batch.Length ? DeliverToGrain(grain, subscriptionId, batch) : InChunksAsync(firstEnd);

        async Task InChunksAsync(int end)
        {
            // A chunk that failed was delivered but for its failed events: the next chunks still go.
            List<Exception>? failures = null;
            for (var start = 0; start < batch.Length; start = end, end = DeliveryEnd(batch, start, maxBatch, provider.MaxDeliveryBytes))
            {
                try
                {
                    await DeliverToGrain(grain, subscriptionId, batch[start..end]);
                }
                catch (Exception failure)
                {
                    (failures ??= []).Add(failure);
                }
            }

            if (failures is not null)
            {
                throw failures.Count == 1 ? failures[0] : new AggregateException(failures);
            }
        }
    }

    /// <summary>
    /// Where the delivery that starts at <paramref name="start"/> ends (exclusive): after at most
    /// <paramref name="maxBatch"/> events, and before the event that would take the items' estimated
    /// size past <paramref name="maxBytes"/> (a delivery always carries at least one event).
    /// </summary>
    internal static int DeliveryEnd(StreamEvent[] batch, int start, int maxBatch, long maxBytes)
    {
        var end = start;
        long bytes = 0;
        while (end < batch.Length && end - start < maxBatch)
        {
            bytes += batch[end].ApproximateSize;
            if (bytes > maxBytes && end > start)
            {
                break;
            }

            end++;
        }

        return end;
    }

    private Task DeliverToGrain(GrainId grain, Guid subscriptionId, StreamEvent[] batch)
    {
        var request = StreamDeliveryRequest.Rent();
        request.SubscriptionId = subscriptionId;
        request.StreamId = StreamId;
        request.Events = batch;
        var reference = new SystemGrainReference(provider.Runtime.CallRuntime, grain);
        reference.SendSystemRequest(request);
        return request.AsTaskForCaller();
    }

    private Task DeliverToClientAsync(object observer, StreamEvent[] batch) =>
        StreamEvents.DeliverInOrderAsync(observer, StreamId, batch);

    /// <summary>An explicit subscription: a grain's (observer attached in its activation) or a client's (observer held here).</summary>
    internal sealed class Subscription(Guid id, GrainId? grain)
    {
        public Guid Id { get; } = id;

        public GrainId? Grain { get; } = grain;

        public object? ClientObserver { get; set; }
    }
}
