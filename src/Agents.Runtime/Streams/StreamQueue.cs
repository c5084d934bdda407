using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>
/// One stream's subscriptions, its pending events and its pump. The pump runs only while there
/// are events, so idle streams cost no task or thread.
/// </summary>
internal sealed class StreamQueue(StreamId streamId, MemoryStreamProvider provider)
{
    private readonly Queue<StreamEvent> _events = new();
    private readonly List<Subscription> _subscriptions = [];
    private long _sequence;
    private int _pumping;

    public StreamId StreamId { get; } = streamId;

    /// <summary>
    /// Appends an event. Its sequence token is assigned under the same lock that appends it, so
    /// token order is queue order is delivery order, whatever the number of producers.
    /// </summary>
    public void Enqueue<TState>(TState state, Func<TState, StreamSequenceToken, StreamEvent> create)
    {
        lock (_events)
        {
            _events.Enqueue(create(state, new StreamSequenceToken(++_sequence)));
        }

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
            while (TryDequeue(out var streamEvent))
            {
                await DeliverAsync(streamEvent);
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

    private bool TryDequeue(out StreamEvent streamEvent)
    {
        lock (_events)
        {
            return _events.TryDequeue(out streamEvent!);
        }
    }

    private bool IsEmpty()
    {
        lock (_events)
        {
            return _events.Count == 0;
        }
    }

    private async Task DeliverAsync(StreamEvent streamEvent)
    {
        Subscription[] explicitSubscriptions;
        lock (_subscriptions)
        {
            explicitSubscriptions = [.. _subscriptions];
        }

        var deliveries = new List<(string Subscriber, Task Delivery)>();
        foreach (var (grain, subscriptionId) in provider.ImplicitSubscribers(StreamId))
        {
            deliveries.Add((grain.ToString(), DeliverToGrain(grain, subscriptionId, streamEvent)));
        }

        foreach (var subscription in explicitSubscriptions)
        {
            if (subscription.Grain is { } grain)
            {
                deliveries.Add((grain.ToString(), DeliverToGrain(grain, subscription.Id, streamEvent)));
            }
            else if (subscription.ClientObserver is { } observer)
            {
                deliveries.Add(($"client subscription {subscription.Id}", DeliverToClient(observer, streamEvent)));
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
                provider.LogDeliveryFailed(StreamId, subscriber, exception);
            }
        }
    }

    private Task DeliverToGrain(GrainId grain, Guid subscriptionId, StreamEvent streamEvent)
    {
        var request = StreamDeliveryRequest.Rent();
        request.SubscriptionId = subscriptionId;
        request.StreamId = StreamId;
        request.Event = streamEvent;
        var reference = new SystemGrainReference(provider.Runtime.CallRuntime, grain);
        reference.SendSystemRequest(request);
        return request.AsTaskForCaller();
    }

    private Task DeliverToClient(object observer, StreamEvent streamEvent)
    {
        try
        {
            return streamEvent.DeliverTo(observer, StreamId);
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }

    /// <summary>An explicit subscription: a grain's (observer attached in its activation) or a client's (observer held here).</summary>
    internal sealed class Subscription(Guid id, GrainId? grain)
    {
        public Guid Id { get; } = id;

        public GrainId? Grain { get; } = grain;

        public object? ClientObserver { get; set; }
    }
}
