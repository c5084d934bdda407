namespace Agents.Streams;

/// <summary>A named source of streams configured on the silo, e.g. the memory provider.</summary>
public interface IStreamProvider
{
    string Name { get; }

    /// <summary>Whether events survive a silo restart (memory: no).</summary>
    bool IsRewindable { get; }

    IAsyncStream<T> GetStream<T>(StreamId streamId);
}

/// <summary>The position of an event in its stream.</summary>
public sealed record StreamSequenceToken(long SequenceNumber);

/// <summary>Receives the events of a stream. Calls for one subscription never overlap and arrive in stream order.</summary>
public interface IAsyncObserver<in T>
{
    Task OnNextAsync(T item, StreamSequenceToken? token = null);

    Task OnCompletedAsync() => Task.CompletedTask;

    Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

/// <summary>
/// An observer that takes consecutive items as one call when the provider has several waiting (a
/// topic's dispatcher, say, that groups them before acting). Single items, the end and errors still
/// come through <see cref="IAsyncObserver{T}"/>. Subscribe it like any observer.
/// </summary>
public interface IAsyncBatchObserver<in T> : IAsyncObserver<T>
{
    /// <summary>
    /// Consecutive items of the stream in order; <paramref name="lastToken"/> is the last one's
    /// position. A throw skips the whole batch for this subscriber (it is logged).
    /// </summary>
    Task OnNextBatchAsync(IReadOnlyList<T> items, StreamSequenceToken lastToken);
}

/// <summary>
/// An item that knows roughly how many bytes it takes on the wire. Providers stop a delivery from
/// growing past a share of the frame limit by it, so large batches of large items still travel to
/// subscribers on other silos. Overestimate rather than under.
/// </summary>
public interface IStreamItemSize
{
    int ApproximateSize { get; }
}

/// <summary>
/// A stream of events of type <typeparamref name="T"/>. Producers call <see cref="OnNextAsync"/>;
/// consumers subscribe. Events of one stream reach each subscriber in the order they were produced.
/// </summary>
public interface IAsyncStream<T> : IEquatable<IAsyncStream<T>>
{
    StreamId StreamId { get; }

    string ProviderName { get; }

    /// <summary>Publishes an event; completes once the provider has accepted it.</summary>
    Task OnNextAsync(T item, StreamSequenceToken? token = null);

    Task OnNextBatchAsync(IEnumerable<T> batch, StreamSequenceToken? token = null);

    Task OnCompletedAsync();

    Task OnErrorAsync(Exception ex);

    /// <summary>
    /// Subscribes an observer. Inside a grain the subscription belongs to the grain: it outlives
    /// the activation, and events reactivate the grain, which re-attaches an observer with
    /// <see cref="StreamSubscriptionHandle{T}.ResumeAsync"/> (or, for implicit subscriptions,
    /// by subscribing again) in <c>OnActivateAsync</c>.
    /// </summary>
    Task<StreamSubscriptionHandle<T>> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null);

    /// <summary>The subscriptions the calling grain (or client) holds on this stream.</summary>
    Task<IList<StreamSubscriptionHandle<T>>> GetAllSubscriptionHandles();
}

/// <summary>A subscription to a stream.</summary>
public abstract class StreamSubscriptionHandle<T> : IEquatable<StreamSubscriptionHandle<T>>
{
    public abstract Guid HandleId { get; }

    public abstract StreamId StreamId { get; }

    public abstract string ProviderName { get; }

    public abstract Task UnsubscribeAsync();

    /// <summary>Attaches a new observer to this subscription (e.g. after the grain was reactivated).</summary>
    public abstract Task<StreamSubscriptionHandle<T>> ResumeAsync(IAsyncObserver<T> observer, StreamSequenceToken? token = null);

    public bool Equals(StreamSubscriptionHandle<T>? other) => other is not null && other.HandleId == HandleId;

    public override bool Equals(object? obj) => obj is StreamSubscriptionHandle<T> other && Equals(other);

    public override int GetHashCode() => HandleId.GetHashCode();
}

/// <summary>
/// Subscribes every grain of this class to the streams in <see cref="Namespace"/> whose key is the
/// grain's key. Events activate the grain; it attaches its observer with
/// <c>SubscribeAsync</c> in <c>OnActivateAsync</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ImplicitStreamSubscriptionAttribute(string streamNamespace) : Attribute
{
    /// <summary>The most items one delivery carries when nothing says otherwise.</summary>
    public const int DefaultMaxBatch = 256;

    /// <summary>The largest <see cref="MaxBatch"/> a subscriber may ask for.</summary>
    public const int MaxMaxBatch = 65_536;

    private readonly int _maxBatch = DefaultMaxBatch;

    public string Namespace { get; } = streamNamespace;

    /// <summary>
    /// The most items one delivery to this subscriber carries (1 to <see cref="MaxMaxBatch"/>; default
    /// <see cref="DefaultMaxBatch"/>). A delivery is one turn of the grain: a subscriber that acts on a
    /// batch as a whole (an <see cref="IAsyncBatchObserver{T}"/>) gains from large ones; one that
    /// handles items slowly keeps them small so its other calls wait less.
    /// </summary>
    public int MaxBatch
    {
        get => _maxBatch;
        init => _maxBatch = value is >= 1 and <= MaxMaxBatch
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxBatch), value, $"MaxBatch of an implicit subscription to '{Namespace}' must be 1 to {MaxMaxBatch}.");
    }
}

/// <summary>Observer and subscription helpers.</summary>
public static class AsyncStreamExtensions
{
    /// <summary>Subscribes a delegate.</summary>
    public static Task<StreamSubscriptionHandle<T>> SubscribeAsync<T>(
        this IAsyncStream<T> stream,
        Func<T, StreamSequenceToken?, Task> onNextAsync,
        Func<Exception, Task>? onErrorAsync = null,
        Func<Task>? onCompletedAsync = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.SubscribeAsync(new DelegateObserver<T>(onNextAsync, onErrorAsync, onCompletedAsync));
    }

    /// <summary>Resumes a subscription with a delegate.</summary>
    public static Task<StreamSubscriptionHandle<T>> ResumeAsync<T>(
        this StreamSubscriptionHandle<T> handle,
        Func<T, StreamSequenceToken?, Task> onNextAsync,
        Func<Exception, Task>? onErrorAsync = null,
        Func<Task>? onCompletedAsync = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return handle.ResumeAsync(new DelegateObserver<T>(onNextAsync, onErrorAsync, onCompletedAsync));
    }

    /// <summary>Subscribes a delegate that takes consecutive items as one call (see <see cref="IAsyncBatchObserver{T}"/>).</summary>
    public static Task<StreamSubscriptionHandle<T>> SubscribeBatchAsync<T>(this IAsyncStream<T> stream, Func<IReadOnlyList<T>, Task> onNextBatchAsync)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onNextBatchAsync);
        return stream.SubscribeAsync(new DelegateBatchObserver<T>(onNextBatchAsync));
    }

    private sealed class DelegateBatchObserver<T>(Func<IReadOnlyList<T>, Task> onNextBatch) : IAsyncBatchObserver<T>
    {
        public Task OnNextAsync(T item, StreamSequenceToken? token = null) => onNextBatch([item]);

        public Task OnNextBatchAsync(IReadOnlyList<T> items, StreamSequenceToken lastToken) => onNextBatch(items);
    }

    private sealed class DelegateObserver<T>(
        Func<T, StreamSequenceToken?, Task> onNext,
        Func<Exception, Task>? onError,
        Func<Task>? onCompleted) : IAsyncObserver<T>
    {
        public Task OnNextAsync(T item, StreamSequenceToken? token = null) => onNext(item, token);

        public Task OnCompletedAsync() => onCompleted?.Invoke() ?? Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => onError?.Invoke(ex) ?? Task.CompletedTask;
    }
}
