using System.Diagnostics;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Testing.Postgres;
using Agents.Runtime.Tests.Grains;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Tests.Reminders;

/// <summary>
/// The reminder table's database goes away and comes back: reminders already loaded keep ticking,
/// a registration fails at once with a clear error instead of hanging, and everything works again
/// once the server is back. Runs on a PostgreSQL server of its own, since it stops it.
/// </summary>
public sealed class PostgresReminderOutageTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Loaded_reminders_keep_ticking_through_a_database_outage_and_registrations_fail_fast_until_it_ends()
    {
        await using var server = await PostgresTestServer.StartAsync(new PostgresTestServerOptions { UseEnvironmentVariable = false });
        await using var cluster = ReminderServiceTests.Builder()
            .WithConfiguration("Agents:Reminders:Provider", "Postgres")
            .WithConfiguration("Agents:Reminders:ConnectionString", server.ConnectionString)
            .WithConfiguration("Agents:Reminders:CommandTimeout", "00:00:03")
            .WithConfiguration("Agents:Reminders:RefreshPeriod", "00:00:00.300")
            .ConfigureSilo(silo => silo.AddAdoNetProviders())
            .Build();
        await cluster.DeployAsync();
        var key = "outage-" + Guid.NewGuid().ToString("N");
        var grain = cluster.Client.GetGrain<IRemindedGrain>(key);
        await grain.Start("steady", TimeSpan.Zero, Period);
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= 2, "the reminder ticks before the outage");

        await server.StopServerAsync();
        var atStop = ReminderLog.Count(key);
        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<ReminderException>(() => cluster.Client.GetGrain<IRemindedGrain>(key + "-new").Start("late", TimeSpan.Zero, Period));
        var failedAfter = clock.Elapsed;
        await Eventually.HoldsAsync(() => ReminderLog.Count(key) >= atStop + 5, "the loaded reminder keeps ticking while the database is down");

        Assert.Contains("could not be stored", refused.Message, StringComparison.Ordinal);
        Assert.True(failedAfter < TimeSpan.FromSeconds(10), $"the registration failed after {failedAfter}");
        Assert.Contains(cluster.Logs.Entries, e => e.EventId.Id == 3602 && e.Level == LogLevel.Warning);

        await server.StartServerAsync();
        await Eventually.HoldsAsync(
            async () => await Record.ExceptionAsync(() => cluster.Client.GetGrain<IRemindedGrain>(key + "-after").Start("after", TimeSpan.Zero, Period)) is null,
            "registrations work again once the server is back", TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync(() => ReminderLog.Count(key + "-after") >= 1, "the reminder registered after the outage ticks");
    }
}
