using Agents.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Roles;

/// <summary>A router republishes each signal on the topic of the first rule its data meets, else on 'otherwise', else drops it.</summary>
public sealed class RouterAgentTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          desk:
            role: router
            settings:
              rules:
                - when: { path: $.priority, equals: high }
                  publish: tickets.urgent
                - when: { path: $.text, contains: refund }
                  publish: tickets.billing
                - when: { path: $.level, equals: 3 }
                  publish: tickets.level3
                - when: { path: $.flags.vip, equals: true }
                  publish: tickets.vip
              otherwise: tickets.normal
          strict:
            role: router
            settings:
              rules:
                - when: { path: $.kind, equals: "3" }
                  publish: kinds.text
          out:
            role: sink
        routes:
          - topic: incoming.tickets
            agent: desk
            key: { fixed: main }
          - topic: incoming.kinds
            agent: strict
            key: { fixed: main }
          - topic: tickets.*
            agent: out
            key: { fixed: tickets }
          - topic: kinds.*
            agent: out
            key: { fixed: kinds }
        """;

    private readonly TestCluster _cluster = RoleCluster.Builder(Yaml).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task The_first_matching_rule_decides_the_topic_and_unmatched_signals_go_to_otherwise()
    {
        var sent = new Dictionary<string, Signal>
        {
            // Matches the first rule and the second: the first wins.
            ["urgent"] = await _cluster.PublishAsync("incoming.tickets", new { id = "urgent", priority = "high", text = "refund now" }, subject: "alice"),
            ["refund"] = await _cluster.PublishAsync("incoming.tickets", new { id = "refund", priority = "low", text = "I want a REFUND" }, subject: "bob"),
            ["level"] = await _cluster.PublishAsync("incoming.tickets", """{"id":"level","level":3.0}""", subject: "carol"),
            ["vip"] = await _cluster.PublishAsync("incoming.tickets", new { id = "vip", flags = new { vip = true } }),
            // Ordinal text comparison: "High" is not "high".
            ["case"] = await _cluster.PublishAsync("incoming.tickets", new { id = "case", priority = "High" }),
            // The number rule does not match text, nor does 'contains' match a number.
            ["text3"] = await _cluster.PublishAsync("incoming.tickets", new { id = "text3", level = "3", text = 42 }),
        };

        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("out", "tickets")).Count == 6, "all six signals are republished");
        var received = (await _cluster.SinkAsync("out", "tickets")).ToDictionary(s => s.DataElement().GetProperty("id").GetString()!);

        Assert.Equal("tickets.urgent", received["urgent"].Topic);
        Assert.Equal("tickets.billing", received["refund"].Topic);
        Assert.Equal("tickets.level3", received["level"].Topic);
        Assert.Equal("tickets.vip", received["vip"].Topic);
        Assert.Equal("tickets.normal", received["case"].Topic);
        Assert.Equal("tickets.normal", received["text3"].Topic);

        // The data, subject and causal chain are kept.
        var urgent = received["urgent"];
        Assert.Equal(sent["urgent"].Data, urgent.Data);
        Assert.Equal("alice", urgent.Subject);
        Assert.Equal(sent["urgent"].Id, urgent.CausationId);
        Assert.Equal(sent["urgent"].Id, urgent.CorrelationId);
        Assert.Equal("/agents/desk/main", urgent.Source);
        Assert.Equal("carol", received["level"].Subject);
        Assert.Null(received["vip"].Subject);

        var stats = await _cluster.AskAsync<RouterStats>("desk", "main", "stats");
        Assert.Equal(
            new Dictionary<string, long> { ["tickets.urgent"] = 1, ["tickets.billing"] = 1, ["tickets.level3"] = 1, ["tickets.vip"] = 1, ["tickets.normal"] = 2 },
            stats.Routed.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary());
        Assert.Equal(0, stats.Unmatched);
    }

    [Fact]
    public async Task Without_otherwise_an_unmatched_signal_is_counted_and_dropped()
    {
        await _cluster.PublishAsync("incoming.kinds", new { kind = 3 });          // a number, not the text "3"
        await _cluster.PublishAsync("incoming.kinds", new { other = "3" });       // nothing at $.kind
        await _cluster.PublishAsync("incoming.kinds", new { kind = "3" });        // matches
        await _cluster.PublishAsync("incoming.kinds", "\"not an object\"");

        await Eventually.HoldsAsync(async () => (await _cluster.DescribeAsync("strict", "main")).SignalsHandled == 4, "the router handles all four");
        var stats = await _cluster.AskAsync<RouterStats>("strict", "main", "stats");
        Assert.Equal(3, stats.Unmatched);
        Assert.Equal(1, Assert.Single(stats.Routed, r => r.Key == "kinds.text").Value);
        Assert.Equal(0, (await _cluster.DescribeAsync("strict", "main")).SignalsDeadLettered);

        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("out", "kinds")).Count == 1, "the matching signal arrives");
        var only = Assert.Single(await _cluster.SinkAsync("out", "kinds"));
        Assert.Equal("\"3\"", only.DataElement().GetProperty("kind").GetRawText());
    }
}
