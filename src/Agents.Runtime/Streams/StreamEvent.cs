using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>One event of a stream, typed, so it can be handed to an observer whose item type only the producer knows statically.</summary>
internal abstract class StreamEvent(StreamSequenceToken token)
{
    public StreamSequenceToken Token { get; } = token;

    /// <summary>The item as an object, for the wire (null for the end or error of a stream).</summary>
    public virtual object? BoxedItem => null;

    /// <summary>Whether this is an item (items travel in batches; the end or error of a stream travels alone).</summary>
    public virtual bool IsItem => false;

    /// <summary>Hands the event to <paramref name="observer"/> (an <see cref="IAsyncObserver{T}"/>).</summary>
    public abstract Task DeliverTo(object observer, StreamId streamId);
}

internal sealed class StreamItemEvent<T>(T item, StreamSequenceToken token) : StreamEvent(token)
{
    public override object? BoxedItem => item;

    public override bool IsItem => true;

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
    public static async Task DeliverInOrderAsync(object observer, StreamId streamId, StreamEvent[] events)
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
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<object?, StreamSequenceToken, StreamEvent>> Factories = new();

    /// <summary>The event for <paramref name="item"/>, as <see cref="StreamItemEvent{T}"/> of its runtime type (observers are typed by what the producer published).</summary>
    public static StreamEvent ForBoxed(object? item, StreamSequenceToken token)
    {
        if (item is null)
        {
            return new StreamItemEvent<object?>(null, token);
        }

        var create = Factories.GetOrAdd(item.GetType(), static type =>
        {
            var method = typeof(StreamItemEvent).GetMethod(nameof(Create), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(type);
            return method.CreateDelegate<Func<object?, StreamSequenceToken, StreamEvent>>();
        });
        return create(item, token);
    }

    private static StreamEvent Create<T>(object? item, StreamSequenceToken token) => new StreamItemEvent<T>((T)item!, token);
}

internal sealed class StreamCompletedEvent(StreamSequenceToken token) : StreamEvent(token)
{
    public override Task DeliverTo(object observer, StreamId streamId) => observer switch
    {
        IStreamObserverLifecycle lifecycle => lifecycle.OnCompletedAsync(),
        _ => Task.CompletedTask,
    };
}

internal sealed class StreamErrorEvent(Exception error, StreamSequenceToken token) : StreamEvent(token)
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

/// <summary>Wraps a typed observer so completion and errors can be delivered without knowing its item type.</summary>
internal sealed class ObserverAdapter<T>(IAsyncObserver<T> observer) : IAsyncObserver<T>, IStreamObserverLifecycle
{
    public Task OnNextAsync(T item, StreamSequenceToken? token = null) => observer.OnNextAsync(item, token);

    public Task OnCompletedAsync() => observer.OnCompletedAsync();

    public Task OnErrorAsync(Exception ex) => observer.OnErrorAsync(ex);
}
