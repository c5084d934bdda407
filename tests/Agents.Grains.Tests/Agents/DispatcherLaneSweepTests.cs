using System.Collections.Concurrent;
using Agents.Agents;
using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>
/// A topic keyed by many values keeps lanes only for about MaxIdleLanes agents: idle lanes are swept, and an agent
/// whose lane was swept gets a new one with its signals still in order.
/// </summary>
public sealed class DispatcherLaneSweepTests : IAsyncLifetime
{
    private const int Keys = 10_000;
    private const int PerBatch = 500;

    private readonly TestCluster _cluster = RoleCluster.Builder(
            "agents: { keyed: {} }\nroutes:\n  - topic: many.keys\n    agent: keyed\n    key: { json: $.k }\n",
            agents => agents.AddAgent<KeyedAgent>("keyed"),
            ["keyed"])
        .AddGrainAssembly(typeof(KeyedAgent).Assembly)
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task Idle_lanes_are_swept_and_each_agent_still_gets_its_signals_in_order()
    {
        KeyedAgent.Handled.Clear();
        var publisher = _cluster.Client.GetGrain<ISignalPublisherGrain>(0);
        var dispatcher = _cluster.Client.GetGrain<ISignalDispatcherGrain>("many.keys");
        var mostLanes = 0;
        for (var round = 1; round <= 2; round++)
        {
            for (var first = 0; first < Keys; first += PerBatch)
            {
                await publisher.PublishBatch([.. Enumerable.Range(first, PerBatch).Select(k => Signal.Create("many.keys", $"{{\"k\":{k},\"n\":{round}}}", "/tests"))]);
                var expected = ((round - 1) * Keys) + first + PerBatch;
                await Eventually.HoldsAsync(() => KeyedAgent.Handled.Count == expected, $"{expected:N0} signals are handled", TimeSpan.FromSeconds(60));
                mostLanes = Math.Max(mostLanes, (await dispatcher.Stats()).Lanes);
            }
        }

        // A sweep runs once the lanes reach MaxIdleLanes; the lanes a turn opens come on top of what it left.
        Assert.InRange(mostLanes, 1, SignalLanes.MaxIdleLanes + PerBatch);
        var byKey = KeyedAgent.Handled.GroupBy(h => h.K).ToDictionary(g => g.Key, g => g.Select(h => h.N).ToArray());
        Assert.Equal(Keys, byKey.Count);
        Assert.All(byKey.Values, rounds => Assert.Equal([1, 2], rounds));
    }

    /// <summary>Records each {k, n} it handles.</summary>
    public sealed class KeyedAgent : Agent
    {
        public static readonly ConcurrentQueue<Item> Handled = new();

        protected override void Configure(AgentBehavior agent) => agent
            .On<Item>("many.keys", (item, _) =>
            {
                Handled.Enqueue(item);
                return Task.CompletedTask;
            });

        public sealed record Item(int K, int N);
    }
}
