using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Lifecycle;

public sealed class CollectionTests
{
    private static TestCluster CreateCluster(ManualTimeProvider time) => new TestClusterBuilder()
        .WithTimeProvider(time)
        .ConfigureSilo(silo => silo.Configure(o =>
        {
            o.CollectionAge = TimeSpan.FromMinutes(2);
            o.CollectionQuantum = TimeSpan.FromSeconds(30);
        }))
        .Build();

    [Fact]
    public async Task Idle_grains_are_collected_after_their_collection_age_and_busy_ones_are_not()
    {
        var time = new ManualTimeProvider();
        await using var cluster = CreateCluster(time);
        await cluster.DeployAsync();
        var idle = cluster.Client.GetGrain<ILifecycleGrain>("idle");
        var busy = cluster.Client.GetGrain<ILifecycleGrain>("busy");
        await idle.Touch();
        await busy.Touch();

        // 90 s: younger than the age limit; nothing is collected.
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await busy.Touch();
        }

        Assert.True(cluster.IsActive(idle.GetGrainId()));

        // 150 s idle: collected at the next sweep; the one used every 30 s stays.
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await busy.Touch();
        }

        await Eventually.HoldsAsync(() => !cluster.IsActive(idle.GetGrainId()), "the idle grain was collected");
        Assert.True(cluster.IsActive(busy.GetGrainId()));
        Assert.Contains(("idle", "deactivate:IdleCollection"), LifecycleGrain.Events);

        // A collected grain comes back on its next call.
        Assert.Equal("touched", await idle.Touch());
        Assert.True(cluster.IsActive(idle.GetGrainId()));
    }

    [Fact]
    public async Task DeactivateOnIdle_deactivates_after_the_call_and_the_grain_reactivates_on_demand()
    {
        await using var cluster = new TestClusterBuilder().Build();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<ICallGrain>("self-deactivating");
        await grain.Record("a");
        await Eventually.HoldsAsync(async () => (await grain.Recorded()).Count == 1, "recorded");

        await grain.Deactivate();

        await Eventually.HoldsAsync(() => !cluster.IsActive(grain.GetGrainId()), "the grain deactivated");
        Assert.Empty(await grain.Recorded());
    }

    [Fact]
    public async Task Timers_tick_as_turns_of_the_grain_and_stop_with_it()
    {
        var time = new ManualTimeProvider();
        await using var cluster = CreateCluster(time);
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<ILifecycleGrain>("ticking");
        await grain.StartTimer(periodMilliseconds: 1_000);

        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var expected = i + 1;
            await Eventually.HoldsAsync(async () => await grain.TimerTicks() == expected, $"tick {expected} ran");
        }

        Assert.Equal(5, await grain.TimerTicks());
    }

    [Fact]
    public async Task Graceful_shutdown_deactivates_every_grain()
    {
        var cluster = new TestClusterBuilder().Build();
        await cluster.DeployAsync();
        var keys = Enumerable.Range(0, 20).Select(i => $"shutdown-{i}").ToArray();
        foreach (var key in keys)
        {
            await cluster.Client.GetGrain<ILifecycleGrain>(key).Touch();
        }

        await cluster.StopAsync();

        foreach (var key in keys)
        {
            Assert.Contains((key, "deactivate:ShuttingDown"), LifecycleGrain.Events);
        }
    }
}
