using Agents.Runtime.Hosting;
using Agents.Runtime.Tests.Grains;
using Agents.Streams;

namespace Agents.Runtime.Tests.Cluster;

/// <summary>A big batch of big items reaches a subscriber on another silo in deliveries that fit the frame limit.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterStreamSizeTests : IAsyncLifetime
{
    // 64 KiB frames: a delivery carries at most a quarter of that by the items' own estimates.
    private readonly Testing.TestCluster _cluster = ClusterSetup.Builder(2)
        .WithConfiguration("Agents:Networking:MaxFrameSize", "65536")
        .ConfigureSilo(silo => silo.AddMemoryStreams(StreamNames.Provider))
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_batch_larger_than_a_frame_crosses_the_wire_in_deliveries_that_fit()
    {
        var consumer = _cluster.Silos[1].Client.GetGrain<IBlobConsumerGrain>("big");
        Assert.Empty(await consumer.Received()); // activated on silo 1 (prefer-local)

        // 200 items of ~3 KB by their estimate: ~600 KB in one batch, ten times the frame limit.
        var blobs = Enumerable.Range(0, 200).Select(n => new Blob(n, new string((char)('a' + (n % 26)), 1_000))).ToArray();
        await _cluster.Silos[0].Client.GetStreamProvider(StreamNames.Provider).GetStream<Blob>(StreamId.Create("blobs", "big")).OnNextBatchAsync(blobs);

        await Eventually.HoldsAsync(async () => (await consumer.Received()).Count == 200, "all 200 items arrived on silo 1", TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(0, 200), await consumer.Received());
        var sizes = await consumer.BatchSizes();
        Assert.True(sizes.Count > 1 && sizes.Max() <= 6, $"deliveries of at most 16 KiB of ~3 KB items: got batches of {string.Join(", ", sizes)}");
    }

    [Fact]
    public void A_delivery_ends_at_its_count_or_its_byte_budget_and_carries_at_least_one_item()
    {
        var events = new[] { 100, 100, 100, 500, 100 }
            .Select((size, i) => (Runtime.Streams.StreamEvent)new Runtime.Streams.StreamItemEvent<Blob>(new Blob(i, new string('x', (size - 32) / 3)), i))
            .ToArray();
        Assert.Equal(3, Runtime.Streams.StreamQueue.DeliveryEnd(events, 0, maxBatch: 10, maxBytes: 300)); // 100+100+100, the 500 would pass 300
        Assert.Equal(4, Runtime.Streams.StreamQueue.DeliveryEnd(events, 3, maxBatch: 10, maxBytes: 300)); // the 500 alone: a delivery carries one at least
        Assert.Equal(2, Runtime.Streams.StreamQueue.DeliveryEnd(events, 0, maxBatch: 2, maxBytes: 10_000)); // the count first
        Assert.Equal(5, Runtime.Streams.StreamQueue.DeliveryEnd(events, 4, maxBatch: 10, maxBytes: 300));
    }
}
