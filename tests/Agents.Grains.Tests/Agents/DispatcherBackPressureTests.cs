using System.Collections.Concurrent;
using Agents.Agents;
using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>A dispatcher hands agents at most MaxSignalsInFlight signals; a stuck agent holds back the topic, not memory, and everything drains in order.</summary>
public sealed class DispatcherBackPressureTests : IAsyncLifetime
{
    private const int MaxInFlight = 8;

    private readonly TestCluster _cluster = RoleCluster.Builder(
            "agents: { stuck: {} }\nroutes:\n  - topic: work.#\n    agent: stuck\n    key: { json: $.k }\n",
            agents => agents.AddAgent<StuckAgent>("stuck"),
            ["stuck"],
            new Dictionary<string, string?> { ["Agents:Service:MaxSignalsInFlight"] = $"{MaxInFlight}" })
        .AddGrainAssembly(typeof(StuckAgent).Assembly)
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync()
    {
        StuckAgent.Gate.TrySetResult();
        return _cluster.StopAsync();
    }

    [Fact]
    public async Task A_stuck_agent_holds_back_the_topic_at_the_limit_and_every_signal_is_handled_in_order_once_it_moves()
    {
        StuckAgent.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StuckAgent.Handled.Clear();
        var publisher = _cluster.Client.GetGrain<ISignalPublisherGrain>(0);

        // Agent a blocks on its first signal; then a and b alternate, 40 signals in all.
        await publisher.Publish(Signal.Create("work.items", "{\"k\":\"a\",\"n\":0}", "/tests"));
        await Eventually.HoldsAsync(() => StuckAgent.Blocked, "agent a is stuck on its first signal");
        await publisher.PublishBatch([.. Enumerable.Range(1, 40).Select(i => Signal.Create("work.items", $"{{\"k\":\"{(i % 2 == 0 ? "a" : "b")}\",\"n\":{i}}}", "/tests"))]);

        // b is free, but a's signals fill the lanes: b gets only what was handed out before the limit.
        // The wait for b's first signal is bounded but not timed (a loaded CI box may take a while to get
        // there); the pause after it gives a dispatcher that ignored the limit time to show it.
        await Eventually.HoldsAsync(() => StuckAgent.Handled.Any(h => h.Key == "b"), "agent b handles a signal while a is stuck");
        await Task.Delay(300);
        var handledByB = StuckAgent.Handled.Count(h => h.Key == "b");
        Assert.InRange(handledByB, 1, MaxInFlight - 1);

        StuckAgent.Gate.SetResult();
        await Eventually.HoldsAsync(() => StuckAgent.Handled.Count == 41, "all 41 signals are handled");
        Assert.Equal([0, .. Enumerable.Range(1, 40).Where(i => i % 2 == 0)], StuckAgent.Handled.Where(h => h.Key == "a").Select(h => h.N));
        Assert.Equal(Enumerable.Range(1, 40).Where(i => i % 2 == 1), StuckAgent.Handled.Where(h => h.Key == "b").Select(h => h.N));
    }

    /// <summary>Handles {k, n}; agent "a" blocks on n = 0 until the gate opens.</summary>
    public sealed class StuckAgent : Agent
    {
        public static readonly ConcurrentQueue<(string Key, int N)> Handled = new();
        public static TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private static volatile bool _blocked;

        public static bool Blocked => _blocked;

        protected override void Configure(AgentBehavior agent) => agent
            .On<Item>("work.#", async (item, _) =>
            {
                if (item.K == "a" && item.N == 0)
                {
                    _blocked = true;
                    await Gate.Task;
                }

                Handled.Enqueue((item.K, item.N));
            });

        public sealed record Item(string K, int N);
    }
}
