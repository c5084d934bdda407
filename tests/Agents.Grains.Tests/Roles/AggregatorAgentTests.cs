using System.Text.Json;
using Agents.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Roles;

/// <summary>An aggregator collects each key's signals into windows and publishes a summary when one closes.</summary>
public sealed class AggregatorAgentTests : IAsyncLifetime
{
    internal const string Yaml = """
        agents:
          clicks:
            role: aggregator
            settings: { window: { count: 3 }, emit: summaries.clicks }
          views:
            role: aggregator
            settings: { window: { time: 30s, count: 100 }, emit: summaries.views }
          out:
            role: sink
        routes:
          - topic: clicks.*
            agent: clicks
            key: subject
          - topic: views.*
            agent: views
            key: subject
          - topic: summaries.*
            agent: out
            key: { fixed: all }
        """;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _time = new(Start);
    private readonly TestCluster _cluster;

    public AggregatorAgentTests() => _cluster = RoleCluster.Builder(Yaml).WithTimeProvider(_time).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_count_window_closes_after_n_signals_and_publishes_a_summary_keyed_by_the_agent_key()
    {
        // Topics have a dispatcher each, so wait for each batch to be handled before the next topic's.
        await PublishAndWaitAsync("clicks.page", "alice", 2, handledBefore: 0);
        await PublishAndWaitAsync("clicks.button", "alice", 1, handledBefore: 2);
        await PublishAndWaitAsync("clicks.page", "alice", 4, handledBefore: 3);
        await PublishAndWaitAsync("clicks.page", "bob", 2, handledBefore: 0);

        var summaries = await _cluster.AskAsync<List<WindowSummary>>("clicks", "alice", "summaries");
        Assert.Equal(2, summaries.Count);
        var first = summaries[0];
        Assert.Equal(("alice", 3, 1, "count"), (first.Key, first.Count, first.WindowNumber, first.ClosedBy));
        Assert.Equal(new Dictionary<string, int> { ["clicks.button"] = 1, ["clicks.page"] = 2 }, first.Topics.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary());
        Assert.Equal((2, "count"), (summaries[1].WindowNumber, summaries[1].ClosedBy));
        Assert.Equal(new Dictionary<string, int> { ["clicks.page"] = 3 }, summaries[1].Topics.ToDictionary());

        var current = await _cluster.AskAsync("clicks", "alice", "current");
        Assert.Equal(1, current.GetProperty("count").GetInt32());
        Assert.Equal(3, current.GetProperty("windowNumber").GetInt32());
        Assert.Empty(await _cluster.AskAsync<List<WindowSummary>>("clicks", "bob", "summaries"));
        Assert.Equal(2, (await _cluster.AskAsync("clicks", "bob", "current")).GetProperty("count").GetInt32());

        // What was published: camelCase JSON, subject = the key.
        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("out", "all")).Count == 2, "both summaries are published");
        var published = (await _cluster.SinkAsync("out", "all")).OrderBy(s => s.DataElement().GetProperty("windowNumber").GetInt32()).ToList();
        Assert.All(published, s => Assert.Equal(("summaries.clicks", "alice"), (s.Topic, s.Subject)));
        var data = published[0].DataElement();
        Assert.Equal(
            ["closedBy", "count", "firstAt", "key", "lastAt", "topics", "windowNumber"],
            data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("count", data.GetProperty("closedBy").GetString());
        Assert.Equal(Start, data.GetProperty("firstAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_time_window_closes_when_its_time_is_up_even_if_no_more_signals_come()
    {
        await PublishAndWaitAsync("views.home", "carol", 2, handledBefore: 0, aggregator: "views");
        var open = await _cluster.AskAsync("views", "carol", "current");
        Assert.Equal(Start.AddSeconds(30), open.GetProperty("closesAt").GetDateTimeOffset());

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(2, (await _cluster.AskAsync("views", "carol", "current")).GetProperty("count").GetInt32());
        Assert.Empty(await _cluster.AskAsync<List<WindowSummary>>("views", "carol", "summaries"));

        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.HoldsAsync(
            async () => (await _cluster.AskAsync<List<WindowSummary>>("views", "carol", "summaries")).Count == 1, "the window closes at 30 s with no further signal");
        var summary = Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "carol", "summaries"));
        Assert.Equal(("carol", 2, 1, "time"), (summary.Key, summary.Count, summary.WindowNumber, summary.ClosedBy));
        Assert.Equal((Start, Start), (summary.FirstAt, summary.LastAt));
        Assert.Equal(JsonValueKind.Null, (await _cluster.AskAsync("views", "carol", "current")).ValueKind);
        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("out", "all")).Any(s => s.Topic == "summaries.views" && s.Subject == "carol"), "the summary is published");

        // The next signal opens window 2, timed from its own arrival.
        await PublishAndWaitAsync("views.home", "carol", 1, handledBefore: 2, aggregator: "views");
        _time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(
            async () => (await _cluster.AskAsync<List<WindowSummary>>("views", "carol", "summaries")).Count == 2, "window 2 closes 30 s after its first signal");
        var second = (await _cluster.AskAsync<List<WindowSummary>>("views", "carol", "summaries"))[1];
        Assert.Equal((2, 1, "time", Start.AddSeconds(30)), (second.WindowNumber, second.Count, second.ClosedBy, second.FirstAt));
    }

    [Fact]
    public async Task With_count_and_time_the_count_closes_first_when_signals_come_fast()
    {
        await PublishAndWaitAsync("views.home", "dave", 100, handledBefore: 0, aggregator: "views");

        var summary = Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "dave", "summaries"));
        Assert.Equal((100, "count"), (summary.Count, summary.ClosedBy));

        // Window 2 opens at 20 s (closing at 50 s); when the first window's time (30 s) passes, nothing closes.
        _time.Advance(TimeSpan.FromSeconds(20));
        await PublishAndWaitAsync("views.home", "dave", 1, handledBefore: 100, aggregator: "views");
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Single(await _cluster.AskAsync<List<WindowSummary>>("views", "dave", "summaries"));
        var open = await _cluster.AskAsync("views", "dave", "current");
        Assert.Equal((2, 1, Start.AddSeconds(50)), (open.GetProperty("windowNumber").GetInt32(), open.GetProperty("count").GetInt32(), open.GetProperty("closesAt").GetDateTimeOffset()));
    }

    private async Task PublishAndWaitAsync(string topic, string key, int count, long handledBefore, string aggregator = "clicks")
    {
        for (var i = 0; i < count; i++)
        {
            await _cluster.PublishAsync(topic, new { n = i }, subject: key);
        }

        await Eventually.HoldsAsync(
            async () => (await _cluster.DescribeAsync(aggregator, key)).SignalsHandled == handledBefore + count, $"{aggregator}/{key} handles {count} more signals");
    }
}
