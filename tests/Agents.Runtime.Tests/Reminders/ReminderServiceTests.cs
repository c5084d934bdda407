using Agents.Runtime.Hosting;
using Agents.Runtime.Reminders;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Tests.Reminders;

/// <summary>Reminders on one silo: schedule, activation, unregistering, failures, bad input, and durability across a restart.</summary>
public sealed class ReminderServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    private readonly TestCluster _cluster = Builder().Build();

    internal static TestClusterBuilder Builder() => new TestClusterBuilder().WithConfiguration("Agents:Reminders:MinimumPeriod", "00:00:00.100");

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    private static string NewKey() => "reminded-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_reminder_ticks_on_its_schedule_and_each_tick_says_where_it_sits_in_it()
    {
        var key = NewKey();

        await _cluster.Client.GetGrain<IRemindedGrain>(key).Start("tick", Period, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= 3, "three ticks arrive");

        var ticks = ReminderLog.Of(key).Take(3).ToList();
        var first = ticks[0].Status.FirstTickTime;
        Assert.All(ticks, t => Assert.Equal("tick", t.ReminderName));
        Assert.All(ticks, t => Assert.Equal(first, t.Status.FirstTickTime));
        Assert.All(ticks, t => Assert.Equal(Period, t.Status.Period));
        Assert.All(ticks, t => Assert.Equal(0, (t.Status.CurrentTickTime - first).Ticks % Period.Ticks));
        Assert.All(ticks, t => Assert.True(t.ReceivedAt >= t.Status.CurrentTickTime, $"tick due {t.Status.CurrentTickTime:O} arrived early, at {t.ReceivedAt:O}"));
        Assert.Equal(ticks.Select(t => t.Status.CurrentTickTime).Distinct().Order(), ticks.Select(t => t.Status.CurrentTickTime));
    }

    [Fact]
    public async Task Each_tick_activates_the_grain_when_it_is_not_active()
    {
        var key = NewKey();
        var grain = _cluster.Client.GetGrain<IRemindedGrain>(key);
        await grain.DeactivateAfterEachTick();

        await grain.Start("wake", Period, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Of(key).Select(t => t.Activation).Distinct().Count() >= 3, "three ticks arrive at three different activations");
    }

    [Fact]
    public async Task Unregistering_stops_the_ticks_and_the_reminder_is_gone()
    {
        var key = NewKey();
        var grain = _cluster.Client.GetGrain<IRemindedGrain>(key);
        await grain.Start("stop-me", TimeSpan.Zero, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= 2, "two ticks arrive");

        Assert.True(await grain.Stop("stop-me"));
        var afterStop = ReminderLog.Count(key);
        await Task.Delay(Period * 4);

        Assert.InRange(ReminderLog.Count(key), afterStop, afterStop + 1); // at most the one in flight
        Assert.False(await grain.Stop("stop-me"));
        Assert.Empty(await grain.List());
        Assert.Equal(0, _cluster.Services.GetRequiredService<ReminderService>().LocalCount);
    }

    [Fact]
    public async Task Registering_again_replaces_the_schedule()
    {
        var key = NewKey();
        var grain = _cluster.Client.GetGrain<IRemindedGrain>(key);
        await grain.Start("again", TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        await grain.Start("again", Period, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= 2, "the new schedule ticks");

        Assert.All(ReminderLog.Of(key), t => Assert.Equal(Period, t.Status.Period));
        Assert.Equal(["again"], await grain.List());
    }

    [Fact]
    public async Task A_tick_that_throws_is_logged_and_the_next_tick_still_comes()
    {
        var key = NewKey();
        var grain = _cluster.Client.GetGrain<IRemindedGrain>(key);
        await grain.FailTicksOf("flaky");

        await grain.Start("flaky", TimeSpan.Zero, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= 3, "ticks keep coming after failures");

        Assert.Contains(_cluster.Logs.Entries, e => e.EventId.Id == 3603 && e.Level == LogLevel.Warning && e.Message.Contains("failed on purpose", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_grain_that_does_not_implement_IRemindable_is_told_so_and_nothing_is_stored()
    {
        var key = NewKey();

        var error = await Assert.ThrowsAsync<ReminderException>(() => _cluster.Client.GetGrain<INotRemindableGrain>(key).Start());

        Assert.Contains("does not implement IRemindable", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _cluster.ReminderTable.ReadRowsAsync([HashRange.All]).ContinueWith(t => t.Result.Where(r => r.GrainId.Key == key).ToList()));
    }

    [Theory]
    [InlineData("", 0, 1000, "not a reminder name")]
    [InlineData("fast", 0, 10, "Agents:Reminders:MinimumPeriod")]
    [InlineData("late", -5, 1000, "due time")]
    public async Task A_bad_name_or_schedule_is_refused_naming_the_problem(string name, int dueMs, int periodMs, string problem)
    {
        var key = NewKey();

        var error = await Assert.ThrowsAsync<ReminderException>(() =>
            _cluster.Client.GetGrain<IRemindedGrain>(key).Start(name, TimeSpan.FromMilliseconds(dueMs), TimeSpan.FromMilliseconds(periodMs)));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Empty(await _cluster.Client.GetGrain<IRemindedGrain>(key).List());
    }

    [Fact]
    public async Task A_reminder_in_a_sqlite_table_ticks_again_after_the_silo_restarts_without_being_registered_again()
    {
        var directory = Directory.CreateTempSubdirectory("agents-reminders-");
        try
        {
            var key = NewKey();
            TestClusterBuilder Sqlite() => Builder()
                .WithConfiguration("Agents:Reminders:Provider", "Sqlite")
                .WithConfiguration("Agents:Reminders:DataSource", Path.Combine(directory.FullName, "agents.db"))
                .ConfigureSilo(silo => silo.AddAdoNetProviders());

            await using (var before = Sqlite().Build())
            {
                await before.DeployAsync();
                await before.Client.GetGrain<IRemindedGrain>(key).Start("durable", TimeSpan.FromSeconds(1), Period);
            }

            var ticksBefore = ReminderLog.Count(key);
            await using var after = Sqlite().Build();
            await after.DeployAsync();

            await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= ticksBefore + 2, "the restarted silo ticks the stored reminder");
            Assert.Equal(1, after.Services.GetRequiredService<ReminderService>().LocalCount);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
