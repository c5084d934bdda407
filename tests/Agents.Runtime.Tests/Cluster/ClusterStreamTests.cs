using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Agents.Runtime.Tests.Grains;
using Agents.Streams;

namespace Agents.Runtime.Tests.Cluster;

/// <summary>Stream events produced on one silo reach implicit subscribers wherever they are placed, in order.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterStreamTests : IAsyncLifetime
{
    private readonly Testing.TestCluster _cluster = ClusterSetup.Builder(2).ConfigureSilo(silo => silo.AddMemoryStreams(StreamNames.Provider)).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task Events_produced_on_one_silo_reach_implicit_subscribers_on_the_other_in_order()
    {
        // The consumers live on silo 1 (prefer-local placement, first called from there); the producer is on silo 0.
        var keys = Enumerable.Range(0, 8).Select(i => $"spread-{i}").ToArray();
        foreach (var key in keys)
        {
            Assert.Empty(await _cluster.Silos[1].Client.GetGrain<IImplicitConsumerGrain>(key).Received());
        }

        var provider = _cluster.Silos[0].Client.GetStreamProvider(StreamNames.Provider);
        foreach (var key in keys)
        {
            var stream = provider.GetStream<int>(StreamId.Create(StreamNames.Numbers, key));
            for (var n = 0; n < 20; n++)
            {
                await stream.OnNextAsync(n);
            }
        }

        foreach (var key in keys)
        {
            await Eventually.HoldsAsync(
                async () => (await _cluster.Silos[1].Client.GetGrain<IImplicitConsumerGrain>(key).Received()).SequenceEqual(Enumerable.Range(0, 20)),
                $"consumer {key} received 0..19 in order");
        }

        var remote = keys.Count(k => _cluster.Silos[1].IsActive(new GrainId(GrainClassInfo.GrainTypeOf(typeof(ImplicitConsumerGrain)), k)));
        Assert.True(remote == keys.Length, $"only {remote} of {keys.Length} consumers stayed on silo 1, so not every stream crossed the wire");
    }
}
