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
