using Agents.Runtime.Hosting;
using Agents.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Cluster;

[Collection("Cluster")]
public sealed class ClusterCallTests : IAsyncLifetime
{
    private readonly Testing.TestCluster _cluster = ClusterSetup.Builder(3).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public void Three_silos_form_one_cluster_and_each_sees_all_three_active()
    {
        foreach (var silo in _cluster.Silos)
        {
            var view = silo.Services.GetRequiredService<SiloCluster>().Membership.View;
            Assert.Equal(3, view.ActiveSilos.Count);
        }
    }

    [Fact]
    public async Task Concurrent_first_calls_from_every_silo_create_exactly_one_activation_per_grain()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"first-{Guid.NewGuid():N}-{i}").ToArray();
        var calls = new List<Task<string>>();
        foreach (var key in keys)
        {
            foreach (var silo in _cluster.Silos)
            {
                calls.Add(silo.Client.GetGrain<IPlacedGrain>(key).WhereAmI());
            }
        }

        var answers = await Task.WhenAll(calls);

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(1, PlacedGrain.Activations[keys[i]]);
            // Every silo's call reached the same activation.
            Assert.Single(answers.Skip(i * 3).Take(3).Distinct());
        }

        // Placement spreads grains: more than one silo hosts some.
        Assert.True(answers.Distinct().Count() > 1, "all 100 grains landed on one silo");
    }

    [Fact]
    public async Task A_burst_of_calls_to_a_grain_not_yet_located_arrives_in_the_order_it_was_sent()
    {
        // The grain lives on silo 1; silo 0 has never called it, so its first calls wait for the directory.
        var key = $"order-{Guid.NewGuid():N}";
        Assert.Empty(await _cluster.Silos[1].Client.GetGrain<ISequenceGrain>(key).Seen());

        // One-way, not awaited, from a grain turn on silo 0: the whole burst is sent while the location is unknown there.
        await _cluster.Silos[0].Client.GetGrain<ISequenceSenderGrain>(key).Burst(key, 200);

        var grain = _cluster.Silos[1].Client.GetGrain<ISequenceGrain>(key);
        await Eventually.HoldsAsync(async () => (await grain.Seen()).Count == 200, "all 200 appends arrived");
        Assert.Equal(Enumerable.Range(0, 200), await grain.Seen());
    }

    [Fact]
    public async Task Arguments_results_and_exceptions_cross_silos_with_their_types()
    {
        var remote = await FindGrainOnAnotherSiloAsync();

        var echoed = await remote.Echo(new Parcel { Label = "box", Items = [1, 2] });
        var rejected = await Assert.ThrowsAsync<ParcelRejectedException>(() => remote.Reject("too heavy"));

        Assert.Equal("box!", echoed.Label);
        Assert.Equal([1, 2, 2], echoed.Items);
        Assert.Equal("too heavy", rejected.Reason);
        Assert.Equal("rejected: too heavy", rejected.Message);
    }

    [Fact]
    public async Task A_grain_calls_a_grain_on_another_silo()
    {
        var client = _cluster.Silos[0].Client;
        var callers = Enumerable.Range(0, 20).Select(i => $"caller-{Guid.NewGuid():N}-{i}").ToArray();
        var targets = Enumerable.Range(0, 20).Select(i => $"target-{Guid.NewGuid():N}-{i}").ToArray();
        var callerSilos = await Task.WhenAll(callers.Select(k => client.GetGrain<IPlacedGrain>(k).WhereAmI()));
        var targetSilos = await Task.WhenAll(targets.Select(k => client.GetGrain<IPlacedGrain>(k).WhereAmI()));

        var answers = await Task.WhenAll(callers.Select((k, i) => client.GetGrain<IPlacedGrain>(k).AskWhere(targets[i])));

        Assert.Equal(targetSilos, answers);
        Assert.Contains(Enumerable.Range(0, 20), i => callerSilos[i] != targetSilos[i]);
    }

    [Fact]
    public async Task State_written_through_one_silo_is_read_through_another()
    {
        var key = $"state-{Guid.NewGuid():N}";
        foreach (var silo in _cluster.Silos)
        {
            await silo.Client.GetGrain<IPlacedGrain>(key).Increment();
        }

        Assert.Equal(3, await _cluster.Silos[2].Client.GetGrain<IPlacedGrain>(key).Get());
        Assert.Equal(1, PlacedGrain.Activations[key]);
    }

    private async Task<IPlacedGrain> FindGrainOnAnotherSiloAsync()
    {
        var client = _cluster.Silos[0].Client;
        var self = _cluster.Silos[0].Address.ToString();
        for (var i = 0; i < 100; i++)
        {
            var grain = client.GetGrain<IPlacedGrain>($"remote-{Guid.NewGuid():N}");
            if (await grain.WhereAmI() != self)
            {
                return grain;
            }
        }

        throw new InvalidOperationException("100 grains in a row were placed on the calling silo.");
    }
}
