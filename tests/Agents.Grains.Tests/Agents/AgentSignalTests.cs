using System.Text.Json;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.Streams;
using Agents.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.Agents;

/// <summary>Signals reach agents by route and key, in order; failures are retried, dead-lettered, and do not block.</summary>
public sealed class AgentSignalTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          triage:
            description: per-customer tickets
          recorder: {}
          recent:
            role: sink
            settings: { keep: 3 }
        routes:
          - topic: tickets.*
            agent: triage
            key: subject
          - topic: orders.#
            agent: recorder
            key: { json: $.customer.id }
          - topic: audit.orders
            agent: recorder
            key: { fixed: audit }
          - topic: metrics.#
            agent: recent
            key: { fixed: metrics }
        """;

    private readonly TestCluster _cluster = new TestClusterBuilder()
        .ConfigureSilo(silo => silo.AddMemoryGrainStorageAsDefault().AddMemoryStreams("Default"))
        .ConfigureServices(services =>
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Agents:Service:FirstRetryDelay"] = "00:00:00.010",
                ["Agents:Service:MaxAttempts"] = "3",
                ["Agents:Service:CircuitBreakerFailures"] = "3",
            }).Build();
            services.AddAgentsService(configuration, agents => agents
                .AddAgent<TriageAgent>("triage")
                .AddAgent<RecorderAgent>("recorder")
                .UseTopology(TopologyLoader.Load(Yaml, "agents.yaml", new TopologyValidationContext(["triage", "recorder"]))));
        })
        .AddGrainAssembly(typeof(AgentGrain).Assembly)
        .AddGrainAssembly(typeof(TriageAgent).Assembly)
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    private Task PublishAsync(string topic, object data, string? subject = null) =>
        _cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(Signal.Create(topic, data, "/tests", subject));

    private Task<AgentSnapshot> DescribeAsync(string type, string key) =>
        _cluster.Client.GetGrain<IAgentGrain>(new AgentId(type, key).GrainKey).Describe();

    [Fact]
    public async Task A_wildcard_route_keyed_by_subject_gives_each_customer_its_own_agent_and_state()
    {
        await PublishAsync("tickets.created", new Ticket("t1", "low", "printer"), subject: "alice");
        await PublishAsync("tickets.updated", new Ticket("t2", "high", "outage"), subject: "alice");
        await PublishAsync("tickets.created", new Ticket("t3", "low", "login"), subject: "bob");
        await PublishAsync("tickets.a.b", new Ticket("t4", "low", "not matched by tickets.*"), subject: "alice");

        await Eventually.HoldsAsync(async () => (await DescribeAsync("triage", "alice")).SignalsHandled == 2 && (await DescribeAsync("triage", "bob")).SignalsHandled == 1,
            "alice's agent handles her two tickets and bob's his one");

        var alice = await _cluster.Client.GetGrain<IAgentGrain>(new AgentId("triage", "alice").GrainKey).Ask("summary", "null");
        var summary = JsonSerializer.Deserialize<TriageSummary>(alice, SignalJson.Options)!;
        Assert.Equal(2, summary.Count);
        Assert.Equal(1, summary.ByPriority["high"]);
        var bob = await DescribeAsync("triage", "bob");
        Assert.Contains("t3", bob.State, StringComparison.Ordinal);
        Assert.DoesNotContain("t1", bob.State, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_path_key_routes_by_a_field_of_the_data_and_signals_arrive_in_order()
    {
        for (var i = 0; i < 20; i++)
        {
            await PublishAsync("orders.placed.web", new Order($"o{i}", new Customer(i % 2 == 0 ? "even" : "odd")));
        }

        await Eventually.HoldsAsync(() => Seen("recorder/even").Length == 10 && Seen("recorder/odd").Length == 10, "both customers' agents get their ten orders");
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i % 2 == 0).Select(i => $"orders.placed.web:o{i}"), Seen("recorder/even"));
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i % 2 == 1).Select(i => $"orders.placed.web:o{i}"), Seen("recorder/odd"));
    }

    [Fact]
    public async Task Batches_published_at_once_reach_each_agent_in_publication_order_and_a_poisoned_one_dead_letters_alone()
    {
        // 3,000 signals in batches of 500 to 7 customers: the dispatcher groups them per agent, so agents get batches.
        const int Count = 3_000;
        var publisher = _cluster.Client.GetGrain<ISignalPublisherGrain>(0);
        var orders = Enumerable.Range(0, Count).Select(i => new Order($"b{i}", new Customer($"batch-{i % 7}"), Poison: i == 1_234)).ToArray();
        foreach (var chunk in orders.Chunk(500))
        {
            await publisher.PublishBatch([.. chunk.Select(o => Signal.Create("orders.bulk", o, "/tests"))]);
        }

        var expected = Enumerable.Range(0, 7).ToDictionary(
            c => $"recorder/batch-{c}",
            c => orders.Where((o, i) => i % 7 == c && !o.Poison).Select(o => $"orders.bulk:{o.Id}").ToArray());
        await Eventually.HoldsAsync(() => expected.All(e => Seen(e.Key).Length == e.Value.Length), "every customer's agent handles its orders", TimeSpan.FromSeconds(30));
        foreach (var (agent, ids) in expected)
        {
            Assert.Equal(ids, Seen(agent));
        }

        var letters = await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100);
        Assert.Contains(letters, l => l.Agent == $"recorder/batch-{1_234 % 7}" && l.ErrorMessage.Contains("order b1234 is poisoned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_batch_with_one_bad_signal_is_refused_whole_naming_the_signal()
    {
        var good = Signal.Create("orders.refused", new Order("r1", new Customer("refused")), "/tests");
        var bad = good with { Id = "bad\u0001id" };
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => _cluster.Client.GetGrain<ISignalPublisherGrain>(0).PublishBatch([good, bad]));
        Assert.Contains("Signal 1 of the batch of 2 has a bad id", error.Message, StringComparison.Ordinal);

        await PublishAsync("orders.refused", new Order("r2", new Customer("refused")));
        await Eventually.HoldsAsync(() => Seen("recorder/refused").Length == 1, "the next signal is handled");
        Assert.Equal(["orders.refused:r2"], Seen("recorder/refused"));
    }

    [Fact]
    public async Task A_throwing_handler_is_retried_then_dead_lettered_and_later_signals_still_flow()
    {
        var poisoned = Signal.Create("audit.orders", new Order("bad", Poison: true), "/tests");
        await _cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(poisoned);
        await PublishAsync("audit.orders", new Order("after-1"));
        await PublishAsync("audit.orders", new Order("after-2"));

        await Eventually.HoldsAsync(() => Seen("recorder/audit").Length == 2, "the signals after the poisoned one are handled");
        Assert.Equal(["audit.orders:after-1", "audit.orders:after-2"], Seen("recorder/audit"));
        Assert.Equal(3, RecorderAgent.Attempts[poisoned.Id]);

        var letters = await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100);
        var letter = Assert.Single(letters, l => l.Signal.Id == poisoned.Id);
        Assert.Equal("recorder/audit", letter.Agent);
        Assert.Equal(3, letter.Attempts);
        Assert.Contains("poisoned", letter.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(1, (await DescribeAsync("recorder", "audit")).SignalsDeadLettered);
    }

    [Fact]
    public async Task A_signal_a_route_cannot_key_is_dead_lettered_with_the_reason()
    {
        var unkeyed = Signal.Create("orders.placed", new Order("no-customer"), "/tests");
        await _cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(unkeyed);

        await Eventually.HoldsAsync(async () => (await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100)).Any(l => l.Signal.Id == unkeyed.Id),
            "the unkeyable signal is dead-lettered");
        var letter = (await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100)).Single(l => l.Signal.Id == unkeyed.Id);
        Assert.Equal("Unroutable", letter.ErrorType);
        Assert.Contains("$.customer.id", letter.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_publishes_signals_caused_by_the_one_it_handles()
    {
        var captured = new List<Signal>();
        await _cluster.Client.GetStreamProvider("Default").GetStream<Signal>(SignalStreams.For("alerts.urgent"))
            .SubscribeAsync((signal, _) =>
            {
                lock (captured)
                {
                    captured.Add(signal);
                }

                return Task.CompletedTask;
            });
        var cause = Signal.Create("tickets.created", new Ticket("t9", "high", "down"), "/tests", "carol");
        await _cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(cause);

        await Eventually.HoldsAsync(() => { lock (captured) { return captured.Count == 1; } }, "the urgent alert is published");
        var alert = captured[0];
        Assert.Equal(cause.Id, alert.CausationId);
        Assert.Equal(cause.Id, alert.CorrelationId);
        Assert.Equal("carol", alert.Subject);
        Assert.Equal("/agents/triage/carol", alert.Source);
    }

    [Fact]
    public async Task Asks_answer_unknown_requests_with_the_known_ones_and_a_failing_agent_trips_its_breaker()
    {
        var agent = _cluster.Client.GetGrain<IAgentGrain>(new AgentId("recorder", "breaker").GrainKey);
        Assert.Equal("\"pong\"", await agent.Ask("ping", "null"));

        var unknown = await Assert.ThrowsAsync<AgentRequestException>(() => agent.Ask("pong", "null"));
        Assert.Contains("fail, ping", unknown.Message, StringComparison.Ordinal);

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => agent.Ask("fail", "null"));
        }

        var refused = await Assert.ThrowsAsync<AgentUnavailableException>(() => agent.Ask("ping", "null"));
        Assert.Contains("circuit breaker", refused.Message, StringComparison.Ordinal);
        Assert.Contains("asked to fail", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sink_keeps_the_last_signals_routed_to_it_in_order()
    {
        // One topic has one dispatcher, so its signals arrive in publication order.
        for (var i = 1; i <= 5; i++)
        {
            await PublishAsync("metrics.cpu", new { value = i });
        }

        await Eventually.HoldsAsync(async () => (await DescribeAsync("recent", "metrics")).SignalsHandled == 5, "the sink receives all five");
        var sink = _cluster.Client.GetGrain<IAgentGrain>(new AgentId("recent", "metrics").GrainKey);
        var firstFive = Values(await sink.Ask("recent", "{}"));
        Assert.Equal([3, 4, 5], firstFive);

        await PublishAsync("metrics.disk.used", new { value = 6 });
        await Eventually.HoldsAsync(async () => (await DescribeAsync("recent", "metrics")).SignalsHandled == 6, "the sink receives the sixth");
        var all = Values(await sink.Ask("recent", "null"));
        Assert.Equal([4, 5, 6], all);
        var lastCpu = Values(await sink.Ask("recent", """{"topic":"metrics.cpu","max":1}"""));
        Assert.Equal([5], lastCpu);
        Assert.Contains("\"received\":6", (await DescribeAsync("recent", "metrics")).State, StringComparison.Ordinal);

        static int[] Values(string reply) =>
            [.. JsonSerializer.Deserialize<List<Signal>>(reply, SignalJson.Options)!.Select(s => s.DataElement().GetProperty("value").GetInt32())];
    }

    [Fact]
    public async Task Asking_an_unknown_agent_type_names_the_known_types()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _cluster.Client.GetGrain<IAgentGrain>("nosuch/1").Ask("ping", "null"));
        Assert.Contains("no agent type 'nosuch'", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("recent, recorder, triage", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redeliveries_of_any_of_the_last_256_handled_signals_are_skipped_and_older_ones_forgotten_in_order()
    {
        var agent = _cluster.Client.GetGrain<IAgentGrain>(new AgentId("recorder", "dedupe").GrainKey);
        var signals = Enumerable.Range(0, 300).Select(i => Signal.Create("audit.orders", new Order($"d{i}"), "/tests")).ToArray();
        foreach (var signal in signals)
        {
            Assert.Equal(SignalOutcome.Handled, await agent.Deliver(signal));
        }

        Assert.Equal(SignalOutcome.Duplicate, await agent.Deliver(signals[298]));
        Assert.Equal(SignalOutcome.Duplicate, await agent.Deliver(signals[300 - 256]));
        Assert.Equal(SignalOutcome.Handled, await agent.Deliver(signals[300 - 257]));
    }

    private static string[] Seen(string agent) => RecorderAgent.Seen.TryGetValue(agent, out var queue) ? [.. queue] : [];
}
