using Agents.Streams;

namespace Agents.Runtime.Tests.Grains;

public static class StreamNames
{
    public const string Provider = "Default";
    public const string Numbers = "numbers";
    public const string Chat = "chat";
}

/// <summary>Subscribed implicitly to every stream in the "numbers" namespace with its key.</summary>
public interface IImplicitConsumerGrain : IGrainWithStringKey
{
    Task<List<int>> Received();
}

/// <remarks>Prefer-local placement lets a cluster test choose the consumer's silo by calling it from there first.</remarks>
[ImplicitStreamSubscription(StreamNames.Numbers)]
[PreferLocalPlacement]
public sealed class ImplicitConsumerGrain : Grain, IImplicitConsumerGrain
{
    private readonly List<int> _received = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = GetStreamProvider(StreamNames.Provider).GetStream<int>(StreamId.Create(StreamNames.Numbers, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync(async (item, _) =>
        {
            // An await inside the handler: the next event must still wait for this one.
            await Task.Yield();
            _received.Add(item);
        });
    }

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());
}

/// <summary>Subscribes explicitly to chat streams.</summary>
public interface IExplicitConsumerGrain : IGrainWithStringKey
{
    Task Subscribe(string room);

    Task<List<string>> Received();

    Task<int> HandleCount(string room);
}

public sealed class ExplicitConsumerGrain : Grain, IExplicitConsumerGrain
{
    private readonly List<string> _received = [];

    public async Task Subscribe(string room) =>
        await Stream(room).SubscribeAsync(OnMessage);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Re-attach to subscriptions made by earlier activations.
        foreach (var room in new[] { "lobby", "random" })
        {
            foreach (var handle in await Stream(room).GetAllSubscriptionHandles())
            {
                await handle.ResumeAsync(OnMessage);
            }
        }
    }

    public Task<List<string>> Received() => Task.FromResult(_received.ToList());

    public async Task<int> HandleCount(string room) => (await Stream(room).GetAllSubscriptionHandles()).Count;

    private IAsyncStream<string> Stream(string room) => GetStreamProvider(StreamNames.Provider).GetStream<string>(StreamId.Create(StreamNames.Chat, room));

    private Task OnMessage(string message, StreamSequenceToken? token)
    {
        _received.Add(message);
        return Task.CompletedTask;
    }
}

/// <summary>Subscribed implicitly to "picky" streams; throws on every multiple of seven.</summary>
public interface IPickyConsumerGrain : IGrainWithStringKey
{
    Task<List<int>> Received();
}

[ImplicitStreamSubscription("picky")]
public sealed class PickyConsumerGrain : Grain, IPickyConsumerGrain
{
    private readonly List<int> _received = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await GetStreamProvider(StreamNames.Provider).GetStream<int>(StreamId.Create("picky", this.GetPrimaryKeyString())).SubscribeAsync(async (item, _) =>
        {
            await Task.Yield();
            if (item % 7 == 0)
            {
                throw new InvalidOperationException($"{item} is a multiple of seven");
            }

            _received.Add(item);
        });

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());
}

/// <summary>Takes "bulk" streams a batch at a time, up to 1,000 items per delivery.</summary>
public interface IBulkBatchConsumerGrain : IGrainWithStringKey
{
    Task<List<int>> Received();

    Task<List<int>> BatchSizes();
}

[ImplicitStreamSubscription("bulk", MaxBatch = 1_000)]
public sealed class BulkBatchConsumerGrain : Grain, IBulkBatchConsumerGrain
{
    private readonly List<int> _received = [];
    private readonly List<int> _batchSizes = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        GetStreamProvider(StreamNames.Provider).GetStream<int>(StreamId.Create("bulk", this.GetPrimaryKeyString())).SubscribeBatchAsync(items =>
        {
            _batchSizes.Add(items.Count);
            _received.AddRange(items);
            return Task.CompletedTask;
        });

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());

    public Task<List<int>> BatchSizes() => Task.FromResult(_batchSizes.ToList());
}

/// <summary>Takes "bulk" streams one item at a time, with the default delivery size.</summary>
public interface IBulkItemConsumerGrain : IGrainWithStringKey
{
    Task<List<int>> Received();
}

[ImplicitStreamSubscription("bulk")]
public sealed class BulkItemConsumerGrain : Grain, IBulkItemConsumerGrain
{
    private readonly List<int> _received = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        GetStreamProvider(StreamNames.Provider).GetStream<int>(StreamId.Create("bulk", this.GetPrimaryKeyString())).SubscribeAsync((item, _) =>
        {
            _received.Add(item);
            return Task.CompletedTask;
        });

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());
}

/// <summary>A stream item that knows its size on the wire.</summary>
[GenerateSerializer]
public sealed record Blob([property: Id(0)] int N, [property: Id(1)] string Text) : IStreamItemSize
{
    public int ApproximateSize => 32 + (3 * Text.Length);
}

/// <summary>Takes "blobs" streams in batches of up to 10,000, wherever it was first called from.</summary>
public interface IBlobConsumerGrain : IGrainWithStringKey
{
    Task<List<int>> Received();

    Task<List<int>> BatchSizes();
}

[ImplicitStreamSubscription("blobs", MaxBatch = 10_000)]
[PreferLocalPlacement]
public sealed class BlobConsumerGrain : Grain, IBlobConsumerGrain
{
    private readonly List<int> _received = [];
    private readonly List<int> _batchSizes = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        GetStreamProvider(StreamNames.Provider).GetStream<Blob>(StreamId.Create("blobs", this.GetPrimaryKeyString())).SubscribeBatchAsync(items =>
        {
            _batchSizes.Add(items.Count);
            _received.AddRange(items.Select(b => b.N));
            return Task.CompletedTask;
        });

    public Task<List<int>> Received() => Task.FromResult(_received.ToList());

    public Task<List<int>> BatchSizes() => Task.FromResult(_batchSizes.ToList());
}
