using System.Diagnostics;
using Agents.Runtime.Hosting;
using Agents.Runtime.Membership;
using Agents.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = ClusterSetup.Builder(3).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_killed_silo_is_declared_dead_and_its_grains_answer_from_the_survivors_with_their_last_written_state()
    {
        var caller = _cluster.Silos[0];
        var victim = _cluster.Silos[2];
        var keys = await GrainsOnAsync(victim, caller, 5);
        foreach (var key in keys)
        {
            await caller.Client.GetGrain<IPlacedGrain>(key).Increment();
            await caller.Client.GetGrain<IPlacedGrain>(key).Increment();
        }

        var clock = Stopwatch.StartNew();
        await _cluster.KillSiloAsync(victim);

        // Every survivor must know: the grains' directory owner may be either of them.
        var survivors = _cluster.RunningSilos.Select(s => s.Services.GetRequiredService<SiloCluster>().Membership).ToArray();
        await Eventually.HoldsAsync(() => survivors.All(m => m.View.StatusOf(victim.Address) == SiloStatus.Dead), "the survivors declare the killed silo dead", TimeSpan.FromSeconds(10));
        var declaredAfter = clock.Elapsed;

        foreach (var key in keys)
        {
            var grain = caller.Client.GetGrain<IPlacedGrain>(key);
            Assert.Equal(3, await grain.Increment());
            Assert.NotEqual(victim.Address.ToString(), await grain.WhereAmI());
        }

        Assert.True(declaredAfter < TimeSpan.FromSeconds(10), $"declared dead after {declaredAfter}");
    }

    [Fact]
    public async Task Calls_in_flight_to_a_silo_that_dies_fail_fast_with_SiloUnavailableException()
    {
        var caller = _cluster.Silos[0];
        var victim = _cluster.Silos[1];
        var key = (await GrainsOnAsync(victim, caller, 1))[0];
        var grain = caller.Client.GetGrain<IPlacedGrain>(key);
        await grain.Increment();

        await _cluster.KillSiloAsync(victim);
        var clock = Stopwatch.StartNew();
        var error = await Record.ExceptionAsync(() => grain.WhereAmI());

        // Either the call failed fast (the connection's loss) or the grain was already reactivated elsewhere.
        Assert.True(error is null or SiloUnavailableException, $"unexpected {error}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the call took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_silo_stopped_gracefully_hands_its_grains_on_with_their_state()
    {
        var caller = _cluster.Silos[0];
        var leaving = _cluster.Silos[1];
        var keys = await GrainsOnAsync(leaving, caller, 3);
        foreach (var key in keys)
        {
            await caller.Client.GetGrain<IPlacedGrain>(key).Increment();
        }

        await _cluster.StopSiloAsync(leaving);
        await _cluster.RefreshViewsAsync();

        foreach (var key in keys)
        {
            var grain = caller.Client.GetGrain<IPlacedGrain>(key);
            Assert.Equal(2, await grain.Increment());
            Assert.NotEqual(leaving.Address.ToString(), await grain.WhereAmI());
        }
    }

    [Fact]
    public async Task A_new_silo_joins_a_running_cluster_and_takes_grains()
    {
        var added = await _cluster.StartAdditionalSiloAsync();

        var placed = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => _cluster.Silos[0].Client.GetGrain<IPlacedGrain>($"join-{Guid.NewGuid():N}-{i}").WhereAmI()));

        Assert.Contains(added.Address.ToString(), placed);
        foreach (var silo in _cluster.RunningSilos)
        {
            Assert.Equal(4, silo.Services.GetRequiredService<SiloCluster>().Membership.View.ActiveSilos.Count);
        }
    }

    /// <summary>Keys of new grains that placement put on <paramref name="host"/>, activated by calls from <paramref name="caller"/>.</summary>
    private static async Task<string[]> GrainsOnAsync(TestSilo host, TestSilo caller, int count)
    {
        var found = new List<string>();
        for (var i = 0; found.Count < count && i < 500; i++)
        {
            var key = $"failover-{Guid.NewGuid():N}";
            if (await caller.Client.GetGrain<IPlacedGrain>(key).WhereAmI() == host.Address.ToString())
            {
                found.Add(key);
            }
        }

        Assert.Equal(count, found.Count);
        return [.. found];
    }
}
