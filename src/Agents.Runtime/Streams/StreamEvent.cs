using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>One event of a stream, typed, so it can be handed to an observer whose item type only the producer knows statically.</summary>
internal abstract class StreamEvent(long sequence)
{
    /// <summary>The event's place in its stream.</summary>
    public long Sequence => sequence;

    /// <summary>The event's token, made when asked for: a batch delivery hands its observer only the last one.</summary>
    public StreamSequenceToken Token => new(sequence);

    /// <summary>The item as an object, for the wire (null for the end or error of a stream).</summary>
    public virtual object? BoxedItem => null;

    /// <summary>Whether this is an item (items travel in batches; the end or error of a stream travels alone).</summary>
    public virtual bool IsItem => false;

    /// <summary>The item's own estimate of its wire size (<see cref="IStreamItemSize"/>), or 0 when it has none.</summary>
    public virtual int ApproximateSize => 0;

    /// <summary>Hands the event to <paramref name="observer"/> (an <see cref="IAsyncObserver{T}"/>).</summary>
    public abstract Task DeliverTo(object observer, StreamId streamId);
}

internal sealed class StreamItemEvent<T>(T item, long sequence) : StreamEvent(sequence)
{
    public T Item => item;

    public override object? BoxedItem => item;

    public override bool IsItem => true;

    /// <summary>
    /// Read when the item is enqueued, where its producer has it in cache: the pump cuts deliveries by size long after,
    /// and reading every item again then would only fetch it for the subscriber to fetch once more.
    /// </summary>
    public override int ApproximateSize { get; } = item is IStreamItemSize sized ? sized.ApproximateSize : 0;

    public override Task DeliverTo(object observer, StreamId streamId) => observer is IAsyncObserver<T> typed
        ? typed.OnNextAsync(item, Token)
        : throw new InvalidCastException(
            $"Stream {streamId} carries {typeof(T).Name} items, but a subscriber's observer is {observer.GetType().Name}, not an IAsyncObserver<{typeof(T).Name}>.");
}

/// <summary>Batches of events handed to one observer.</summary>
internal static class StreamEvents
{
    /// <summary>
    /// Hands <paramref name="events"/> to <paramref name="observer"/> one after another, each awaited
    /// before the next. An event the observer throws on is skipped for it and the rest still come;
    /// the failures are thrown at the end so they are logged.
    /// </summary>
    public static Task DeliverInOrderAsync(object observer, StreamId streamId, StreamEvent[] events) =>
        observer is IStreamBatchTarget { TakesBatches: true } target && Array.TrueForAll(events, e => e.IsItem)
            ? target.DeliverItemsAsync(events, streamId)
            : OneByOneAsync(observer, streamId, events);

    private static async Task OneByOneAsync(object observer, StreamId streamId, StreamEvent[] events)
    {
        // In a grain, continuations run on the activation's scheduler: the batch is one turn that
        // interleaves only where the grain allows.
        List<Exception>? failures = null;
        foreach (var streamEvent in events)
        {
            try
            {
                await streamEvent.DeliverTo(observer, streamId);
            }
            catch (Exception error)
            {
                (failures ??= []).Add(error);
            }
        }

        if (failures is not null)
        {
            if (failures.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
            }

            throw new AggregateException($"{failures.Count} of a batch of {events.Length} events of stream {streamId} failed; each was skipped.", failures);
        }
    }
}

/// <summary>Items that arrived over the wire, typed by their runtime type.</summary>
internal static class StreamItemEvent
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<object?, long, StreamEvent>> Factories = new();

    /// <summary>The event for <paramref name="item"/>, as <see cref="StreamItemEvent{T}"/> of its runtime type (observers are typed by what the producer published).</summary>
    public static StreamEvent ForBoxed(object? item, long sequence)
    {
        if (item is null)
        {
            return new StreamItemEvent<object?>(null, sequence);
        }

        var create = Factories.GetOrAdd(item.GetType(), static type =>
        {
            var method = typeof(StreamItemEvent).GetMethod(nameof(Create), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(type);
            return method.CreateDelegate<Func<object?, long, StreamEvent>>();
        });
        return create(item, sequence);
    }

    private static StreamEvent Create<T>(object? item, long sequence) => new StreamItemEvent<T>((T)item!, sequence);
}

internal sealed class StreamCompletedEvent(long sequence) : StreamEvent(sequence)
{
    public override Task DeliverTo(object observer, StreamId streamId) => observer switch
    {
        IStreamObserverLifecycle lifecycle => lifecycle.OnCompletedAsync(),
        _ => Task.CompletedTask,
    };
}

internal sealed class StreamErrorEvent(Exception error, long sequence) : StreamEvent(sequence)
{
    public Exception Error => error;

    public override Task DeliverTo(object observer, StreamId streamId) => observer switch
    {
        IStreamObserverLifecycle lifecycle => lifecycle.OnErrorAsync(error),
        _ => Task.CompletedTask,
    };
}

/// <summary>The non-generic end-of-stream calls of an observer, whatever its item type.</summary>
internal interface IStreamObserverLifecycle
{
    Task OnCompletedAsync();

    Task OnErrorAsync(Exception ex);
}

/// <summary>An observer that may take a run of items as one call.</summary>
internal interface IStreamBatchTarget
{
    bool TakesBatches { get; }

    /// <summary>Hands over <paramref name="events"/>, all items, as one batch.</summary>
    Task DeliverItemsAsync(StreamEvent[] events, StreamId streamId);
}

/// <summary>Wraps a typed observer so completion, errors and batches can be delivered without knowing its item type.</summary>
internal sealed class ObserverAdapter<T>(IAsyncObserver<T> observer) : IAsyncObserver<T>, IStreamObserverLifecycle, IStreamBatchTarget
{
    public bool TakesBatches => observer is IAsyncBatchObserver<T>;

    public Task DeliverItemsAsync(StreamEvent[] events, StreamId streamId)
    {
        var items = new T[events.Length];
        for (var i = 0; i < events.Length; i++)
        {
            items[i] = events[i] switch
            {
                StreamItemEvent<T> typed => typed.Item,
                { BoxedItem: null } when default(T) is null => default!,
                { BoxedItem: T item } => item, // arrived over the wire as a more derived type
                var other => throw new InvalidCastException(
                    $"Stream {streamId} carried a {other.BoxedItem?.GetType().Name ?? "null"} item, but a subscriber's observer takes {typeof(T).Name} batches."),
            };
        }

        return ((IAsyncBatchObserver<T>)observer).OnNextBatchAsync(items, events[^1].Token);
    }

    public Task OnNextAsync(T item, StreamSequenceToken? token = null) => observer.OnNextAsync(item, token);

    public Task OnCompletedAsync() => observer.OnCompletedAsync();

    public Task OnErrorAsync(Exception ex) => observer.OnErrorAsync(ex);
}
