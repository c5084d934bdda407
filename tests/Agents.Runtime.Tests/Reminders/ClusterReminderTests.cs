using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Reminders;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Cluster;
using Agents.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Reminders;

/// <summary>Reminders in a cluster of three silos: one owner per reminder, registrations that reach it at once, and failover.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterReminderTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(300);

    private readonly TestCluster _cluster = ClusterSetup.Builder(3)
        .WithConfiguration("Agents:Reminders:MinimumPeriod", "00:00:00.100")
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    private static List<string> NewKeys(int count)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        return [.. Enumerable.Range(0, count).Select(i => $"clustered-{run}-{i}")];
    }

    private static ReminderService Service(TestSilo silo) => silo.Services.GetRequiredService<ReminderService>();

    private int TickingCount => _cluster.RunningSilos.Sum(s => Service(s).LocalCount);

    [Fact]
    public async Task Each_reminder_is_ticked_by_exactly_the_silo_the_ring_names()
    {
        var keys = NewKeys(30);
        for (var i = 0; i < keys.Count; i++)
        {
            await _cluster.Silos[i % 3].Client.GetGrain<IRemindedGrain>(keys[i]).Start("spread", Period, Period);
        }

        await Eventually.HoldsAsync(() => keys.All(k => ReminderLog.Count(k) >= 2), "every reminder ticks");

        Assert.Equal(30, TickingCount);
        var ring = new ConsistentHashRing(_cluster.Silos.Select(s => s.Address));
        foreach (var silo in _cluster.Silos)
        {
            var owned = keys.Count(k => ring.OwnerOf(GrainId.Create(new GrainType("reminded"), k)) == silo.Address);
            Assert.Equal(owned, Service(silo).LocalCount);
        }
    }

    [Fact]
    public async Task A_registration_made_on_any_silo_reaches_the_owner_at_once_not_at_its_next_refresh()
    {
        // The default refresh is a minute: ticks within seconds prove the owner was told.
        var keys = NewKeys(12);
        for (var i = 0; i < keys.Count; i++)
        {
            await _cluster.Silos[i % 3].Client.GetGrain<IRemindedGrain>(keys[i]).Start("prompt", TimeSpan.Zero, TimeSpan.FromMinutes(10));
        }

        await Eventually.HoldsAsync(() => keys.All(k => ReminderLog.Count(k) == 1), "every first tick arrives", TimeSpan.FromSeconds(5));

        foreach (var key in keys[..6])
        {
            Assert.True(await _cluster.Silos[0].Client.GetGrain<IRemindedGrain>(key).Stop("prompt"));
        }

        await Eventually.HoldsAsync(() => TickingCount == 6, "the owners stop the unregistered reminders at once", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task When_a_silo_dies_its_reminders_move_to_the_survivors_and_keep_ticking()
    {
        var keys = NewKeys(24);
        foreach (var key in keys)
        {
            await _cluster.Silos[0].Client.GetGrain<IRemindedGrain>(key).Start("failover", Period, Period);
        }

        await Eventually.HoldsAsync(() => keys.All(k => ReminderLog.Count(k) >= 1), "every reminder ticks before the kill");
        var victim = _cluster.Silos[2];
        var victimOwned = Service(victim).LocalCount;
        Assert.True(victimOwned > 0, "the victim owns some reminders");

        await _cluster.KillSiloAsync(victim);
        var atKill = keys.ToDictionary(k => k, k => ReminderLog.Count(k));

        await Eventually.HoldsAsync(
            () => keys.All(k => ReminderLog.Count(k) >= atKill[k] + 2),
            "every reminder, the dead silo's included, ticks twice more on the survivors",
            TimeSpan.FromSeconds(15));
        Assert.Equal(24, TickingCount);
        Assert.All(keys, k => Assert.DoesNotContain(ReminderLog.Of(k).Skip(atKill[k] + 1), t => t.Silo == victim.Address.ToString()));
    }
}
