using System.Text.Json;
using Agents.AdoNet.Sqlite.Reminders;
using Agents.Roles;
using Agents.Runtime.Reminders;
using Agents.Runtime.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Grains.Tests.Roles;

/// <summary>What the roles keep is durable: on SQLite, a silo restart continues windows, counters and conversations.</summary>
public sealed class RoleRestartTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          views:
            role: aggregator
            settings: { window: { time: 30s, count: 5 }, emit: summaries.views }
          desk:
            role: router
            settings:
              rules:
                - when: { path: $.priority, equals: high }
                  publish: tickets.urgent
          helper:
            role: llm
            settings: { systemPrompt: You help. }
          seen:
            role: sink
            settings: { keep: 50 }
        routes:
          - topic: views.*
            agent: views
            key: subject
          - topic: incoming.tickets
            agent: desk
            key: { fixed: main }
          - topic: summaries.*
            agent: seen
            key: { fixed: summaries }
        """;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("agents-roles-").FullName;
    private readonly ManualTimeProvider _time = new(Start);
    private readonly TestCluster _cluster;

    public RoleRestartTests() =>
        _cluster = RoleCluster.Builder(Yaml, sqliteFile: Path.Combine(_directory, "grains.db")).WithTimeProvider(_time).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_open_window_continues_after_a_restart()
    {
        await PublishViewsAsync("erin", 2);

        await _cluster.RestartAsync();
        await PublishViewsAsync("erin", 3);

        var summary = Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "erin", "summaries"));
        Assert.Equal((5, 1, "count", Start), (summary.Count, summary.WindowNumber, summary.ClosedBy, summary.FirstAt));
    }

    [Fact]
    public async Task A_window_whose_time_passed_while_the_silo_was_down_closes_before_the_next_signal_joins()
    {
        await PublishViewsAsync("finn", 2);
        await _cluster.RestartAsync();
        _time.Advance(TimeSpan.FromSeconds(31));

        await PublishViewsAsync("finn", 1);

        var summary = Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "finn", "summaries"));
        Assert.Equal((2, 1, "time"), (summary.Count, summary.WindowNumber, summary.ClosedBy));
        var current = await _cluster.AskAsync("views", "finn", "current");
        Assert.Equal((2, 1), (current.GetProperty("windowNumber").GetInt32(), current.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task A_window_whose_time_passed_while_the_silo_was_down_closes_when_the_agent_activates()
    {
        await PublishViewsAsync("gail", 2);
        await _cluster.RestartAsync();
        _time.Advance(TimeSpan.FromSeconds(31));

        // Any call activates the agent, which sets a timer for the time left: none.
        await _cluster.AskAsync("views", "gail", "current");
        _time.Advance(TimeSpan.Zero);

        await Eventually.HoldsAsync(
            async () => (await _cluster.AskAsync<List<WindowSummary>>("views", "gail", "summaries")).Count == 1, "the overdue window closes on activation");
        var summary = Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "gail", "summaries"));
        Assert.Equal((2, "time"), (summary.Count, summary.ClosedBy));
    }

    [Fact]
    public async Task A_window_whose_time_passed_while_the_silo_was_down_closes_on_its_own_after_the_restart()
    {
        await PublishViewsAsync("hugo", 2);
        await _cluster.StopAsync();
        _time.Advance(TimeSpan.FromSeconds(45));

        // No signal and no call to the aggregator: its reminder's catch-up tick activates it and closes the window.
        await _cluster.RestartAsync();
        _time.Advance(TimeSpan.Zero); // the manual clock runs due timers only when moved

        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("seen", "summaries")).Count == 1, "the overdue window's summary is published");
        var summary = Assert.Single(await _cluster.SinkAsync("seen", "summaries")).Data;
        Assert.Contains("\"closedBy\":\"time\"", summary, StringComparison.Ordinal);
        Assert.Contains("\"key\":\"hugo\"", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_aggregator_removes_its_reminder_instead_of_waking_forever()
    {
        await PublishViewsAsync("iris", 2);
        _time.Advance(TimeSpan.FromSeconds(30)); // the timer closes the window; the reminder is due a second later
        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("seen", "summaries")).Count == 1, "the window closes on time");
        Assert.Equal(1, await ReminderRowsAsync());

        _time.Advance(TimeSpan.FromSeconds(1)); // the reminder's tick finds no open window
        await Eventually.HoldsAsync(async () => await ReminderRowsAsync() == 0, "the aggregator's reminder is removed");
        Assert.Single(await _cluster.SinkAsync("seen", "summaries"));
    }

    /// <summary>The reminders in the silo's SQLite file, read through a table of the test's own.</summary>
    private async Task<int> ReminderRowsAsync()
    {
        await using var table = new SqliteReminderTable(new() { DataSource = Path.Combine(_directory, "grains.db") }, NullLogger<SqliteReminderTable>.Instance);
        return (await table.ReadRowsAsync([HashRange.All])).Count;
    }

    [Fact]
    public async Task Router_counters_and_llm_conversations_survive_a_restart()
    {
        await _cluster.PublishAsync("incoming.tickets", new { priority = "high" });
        await _cluster.PublishAsync("incoming.tickets", new { priority = "low" });
        await Eventually.HoldsAsync(async () => (await _cluster.DescribeAsync("desk", "main")).SignalsHandled == 2, "the router handles both");
        await _cluster.AskAsync("helper", "hana", "ask", "\"first\"");
        await _cluster.AskAsync("helper", "hana", "ask", """{"question":"second","conversation":"side"}""");

        await _cluster.RestartAsync();

        var stats = await _cluster.AskAsync<RouterStats>("desk", "main", "stats");
        Assert.Equal((1L, 1L), (stats.Routed["tickets.urgent"], stats.Unmatched));
        var history = await _cluster.AskAsync<List<LlmMessage>>("helper", "hana", "history");
        Assert.Equal([new LlmMessage("user", "first"), new LlmMessage("assistant", "[offline model] You said: first")], history);
        Assert.Equal(2, (await _cluster.AskAsync<List<LlmMessage>>("helper", "hana", "history", "\"side\"")).Count);
        Assert.Equal(JsonValueKind.Array, (await _cluster.AskAsync("helper", "hana", "history", """{"conversation":"none"}""")).ValueKind);
    }

    private async Task PublishViewsAsync(string key, int count)
    {
        // The handled counter is stored with the state, so after a restart it may lag; count from what it says now.
        var handledBefore = (await _cluster.DescribeAsync("views", key)).SignalsHandled;
        for (var i = 0; i < count; i++)
        {
            await _cluster.PublishAsync("views.home", new { n = i }, subject: key);
        }

        await Eventually.HoldsAsync(
            async () => (await _cluster.DescribeAsync("views", key)).SignalsHandled == handledBefore + count, $"views/{key} handles {count} more signals");
    }
}
