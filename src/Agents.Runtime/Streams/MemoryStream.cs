using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>A stream of the memory provider. Cheap to create: all state lives in the provider's queue for the stream id.</summary>
internal sealed class MemoryStream<T>(MemoryStreamProvider provider, StreamId streamId) : IAsyncStream<T>
{
    public StreamId StreamId { get; } = streamId;

    public string ProviderName => provider.Name;

    public Task OnNextAsync(T item, StreamSequenceToken? token = null)
    {
        provider.GetQueue(StreamId).Enqueue(item, static (i, token) => new StreamItemEvent<T>(i, token));
        return Task.CompletedTask;
    }

    public Task OnNextBatchAsync(IEnumerable<T> batch, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        provider.GetQueue(StreamId).EnqueueItems(batch);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync()
    {
        provider.GetQueue(StreamId).Enqueue(0, static (_, token) => new StreamCompletedEvent(token));
        return Task.CompletedTask;
    }

    public Task OnErrorAsync(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        provider.GetQueue(StreamId).Enqueue(ex, static (e, token) => new StreamErrorEvent(e, token));
        return Task.CompletedTask;
    }

    public Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var adapter = new ObserverAdapter<T>(observer);
        var queue = provider.GetQueue(StreamId);
        var activation = MemoryStreamProvider.CurrentActivation;
        if (activation is null)
        {
            var clientSubscription = queue.AddSubscription(Guid.NewGuid(), null, adapter);
            return Task.FromResult<StreamSubscriptionHandle<T>>(new MemoryStreamSubscriptionHandle<T>(provider, StreamId, clientSubscription.Id));
        }

        // A grain subscribing to a stream its class is implicitly subscribed to attaches its observer
        // to the implicit subscription rather than creating a second, explicit one.
        if (!provider.TryGetImplicitSubscription(activation.GrainId.Type, StreamId.Namespace, out var subscriptionId)
            || activation.GrainId.Key != StreamId.Key)
        {
            subscriptionId = queue.AddSubscription(Guid.NewGuid(), activation.GrainId, null).Id;
        }

        activation.SetStreamObserver(subscriptionId, adapter);
        return Task.FromResult<StreamSubscriptionHandle<T>>(new MemoryStreamSubscriptionHandle<T>(provider, StreamId, subscriptionId));
    }

    public Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles()
    {
        var activation = MemoryStreamProvider.CurrentActivation;
        var handles = provider.GetQueue(StreamId)
            .SubscriptionsOf(activation?.GrainId)
            .Select(s => (StreamSubscriptionHandle<T>)new MemoryStreamSubscriptionHandle<T>(provider, StreamId, s.Id))
            .ToList();
        return Task.FromResult<IList<StreamSubscriptionHandle<T>>>(handles);
    }

    public bool Equals(IAsyncStream<T>? other) => other is not null && other.StreamId == StreamId && other.ProviderName == ProviderName;

    public override bool Equals(object? obj) => obj is IAsyncStream<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(StreamId, ProviderName);

    public override string ToString() => $"{ProviderName}:{StreamId}";
}

internal sealed class MemoryStreamSubscriptionHandle<T>(MemoryStreamProvider provider, StreamId streamId, Guid handleId) : StreamSubscriptionHandle<T>
{
    public override Guid HandleId { get; } = handleId;

    public override StreamId StreamId { get; } = streamId;

    public override string ProviderName => provider.Name;

    public override Task UnsubscribeAsync()
    {
        provider.GetQueue(StreamId).RemoveSubscription(HandleId);
        MemoryStreamProvider.CurrentActivation?.RemoveStreamObserver(HandleId);
        return Task.CompletedTask;
    }

    public override Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var adapter = new ObserverAdapter<T>(observer);
        var activation = MemoryStreamProvider.CurrentActivation;
        if (activation is not null)
        {
            activation.SetStreamObserver(HandleId, adapter);
        }
        else
        {
            var subscription = provider.GetQueue(StreamId).FindSubscription(HandleId)
                ?? throw new InvalidOperationException($"Subscription {HandleId} to stream {StreamId} no longer exists.");
            subscription.ClientObserver = adapter;
        }

        return Task.FromResult<StreamSubscriptionHandle<T>>(this);
    }
}
