using Agents.Runtime.Tests.Grains;
using Agents.Streams;

namespace Agents.Runtime.Tests.Streams;

public sealed class StreamTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private IStreamProvider Provider => fixture.Client.GetStreamProvider(StreamNames.Provider);

    [Fact]
    public async Task Implicit_subscribers_are_activated_and_receive_every_event_in_order()
    {
        var stream = Provider.GetStream<int>(StreamId.Create(StreamNames.Numbers, "implicit-1"));

        for (var i = 0; i < 200; i++)
        {
            await stream.OnNextAsync(i);
        }

        var grain = fixture.Client.GetGrain<IImplicitConsumerGrain>("implicit-1");
        await Eventually.HoldsAsync(async () => (await grain.Received()).Count == 200, "all 200 events arrived");
        Assert.Equal(Enumerable.Range(0, 200), await grain.Received());
    }

    [Fact]
    public async Task An_event_a_subscriber_throws_on_is_skipped_and_the_rest_of_its_batch_still_arrives()
    {
        var stream = Provider.GetStream<int>(StreamId.Create("picky", "batch"));

        // One batch call queues all 100 at once, so they are delivered in batches.
        await stream.OnNextBatchAsync(Enumerable.Range(0, 100));

        var expected = Enumerable.Range(0, 100).Where(i => i % 7 != 0).ToList();
        var grain = fixture.Client.GetGrain<IPickyConsumerGrain>("batch");
        await Eventually.HoldsAsync(async () => (await grain.Received()).Count == expected.Count, "every event but the multiples of seven arrived");
        Assert.Equal(expected, await grain.Received());
    }

    [Fact]
    public async Task A_batch_observer_takes_up_to_its_max_batch_per_delivery_while_an_item_observer_of_the_same_stream_gets_every_item_in_order()
    {
        var stream = Provider.GetStream<int>(StreamId.Create("bulk", "sizes"));

        // One call queues all 2,500 before the pump looks: deliveries of 1,000, 1,000 and 500 to the batch observer,
        // and the same items in deliveries of at most 256 to the item observer.
        await stream.OnNextBatchAsync(Enumerable.Range(0, 2_500));

        var batches = fixture.Client.GetGrain<IBulkBatchConsumerGrain>("sizes");
        var items = fixture.Client.GetGrain<IBulkItemConsumerGrain>("sizes");
        await Eventually.HoldsAsync(async () => (await batches.Received()).Count == 2_500 && (await items.Received()).Count == 2_500, "both subscribers got all 2,500");
        Assert.Equal(Enumerable.Range(0, 2_500), await batches.Received());
        Assert.Equal(Enumerable.Range(0, 2_500), await items.Received());
        Assert.Equal([1_000, 1_000, 500], await batches.BatchSizes());
    }

    [Fact]
    public void An_implicit_subscription_refuses_a_max_batch_out_of_range()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitStreamSubscriptionAttribute("bulk") { MaxBatch = 0 });
        Assert.Contains("MaxBatch of an implicit subscription to 'bulk' must be 1 to 65536", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explicit_subscribers_receive_every_event_in_order_and_survive_reactivation()
    {
        var alice = fixture.Client.GetGrain<IExplicitConsumerGrain>("alice");
        var bob = fixture.Client.GetGrain<IExplicitConsumerGrain>("bob");
        await alice.Subscribe("lobby");
        await bob.Subscribe("lobby");
        var lobby = Provider.GetStream<string>(StreamId.Create(StreamNames.Chat, "lobby"));

        var messages = Enumerable.Range(0, 100).Select(i => $"msg-{i}").ToArray();
        await lobby.OnNextBatchAsync(messages);

        await Eventually.HoldsAsync(async () => (await alice.Received()).Count == 100 && (await bob.Received()).Count == 100, "both got 100 messages");
        Assert.Equal(messages, await alice.Received());
        Assert.Equal(messages, await bob.Received());
        Assert.Equal(1, await alice.HandleCount("lobby"));
    }

    [Fact]
    public async Task A_client_observer_receives_events_in_order()
    {
        var received = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = Provider.GetStream<int>(StreamId.Create("client-feed", "k"));
        var handle = await stream.SubscribeAsync((item, _) =>
        {
            lock (received)
            {
                received.Add(item);
                if (received.Count == 500)
                {
                    done.TrySetResult();
                }
            }

            return Task.CompletedTask;
        });

        for (var i = 0; i < 500; i++)
        {
            await stream.OnNextAsync(i);
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (received)
        {
            Assert.Equal(Enumerable.Range(0, 500), received);
        }

        await handle.UnsubscribeAsync();
        await stream.OnNextAsync(999);
        await Task.Delay(100);
        lock (received)
        {
            Assert.DoesNotContain(999, received);
        }
    }
}
