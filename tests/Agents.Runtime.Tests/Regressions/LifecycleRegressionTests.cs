using System.Diagnostics;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Lifecycle findings of the core review: deactivation, activation, interleaving beside lifecycle,
/// timer keep-alive and shutdown. Each test states the guarantee it checks (docs/runtime.md and the
/// invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
public sealed class LifecycleRegressionTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    /// <summary>
    /// DeactivateOnIdle in OnActivateAsync: the activation deactivates as soon as it is Active, and
    /// the request that caused it is redelivered to a new activation, which does the same - forever,
    /// even after the caller timed out (Redeliver has no bound).
    /// </summary>
    [Fact]
    public async Task DeactivateOnIdle_during_activation_does_not_bounce_the_waiting_call_between_activations_forever()
    {
        var key = RegressionHarness.NewRun();
        var grain = fixture.Client.GetGrain<IReviewSelfDeactivatingGrain>(key);
        try
        {
            var error = await Record.ExceptionAsync(() => grain.Hello());
            var atCallerEnd = RegressionSelfDeactivatingGrain.Activations.GetValueOrDefault(key);
            await Task.Delay(300);
            var later = RegressionSelfDeactivatingGrain.Activations.GetValueOrDefault(key);

            Assert.True(
                error is not TimeoutException && later == atCallerEnd,
                $"call outcome: {error?.GetType().Name ?? "success"}; activations when the caller gave up: {atCallerEnd}, 300 ms later: {later}");
        }
        finally
        {
            // Let the request that is still circulating land, so it does not spin for the rest of the run.
            RegressionSelfDeactivatingGrain.Stopped[key] = true;
        }
    }

    /// <summary>
    /// An [AlwaysInterleave] request in _ready when the last running request finishes with
    /// DeactivateOnIdle pending: BeginDeactivationLocked queues RunDeactivation behind it, Execute
    /// starts the request in state Deactivating, and OnDeactivateAsync runs while it is in progress
    /// (invariant 4: lifecycle is exclusive). The activation then turns Invalid with the request still running.
    /// </summary>
    [Fact]
    public async Task An_interleaving_request_never_runs_beside_OnDeactivateAsync()
    {
        var key = RegressionHarness.NewRun();
        var grain = fixture.Client.GetGrain<IReviewInterleaveDeactivationGrain>(key);

        await grain.Trigger();
        await Task.WhenAny(RegressionGates.Get($"{key}:deactivated").Task, Task.Delay(1_000));
        RegressionGates.Open($"{key}:slow-release");
        await Eventually.HoldsAsync(() => RegressionInterleaveDeactivationGrain.Events.Contains($"{key}:slow-end"), "Slow finished");

        var events = RegressionInterleaveDeactivationGrain.Events.Where(e => e.StartsWith(key, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain($"{key}:deactivate-while-slow-runs", events);
    }

    /// <summary>
    /// An [AlwaysInterleave] request that arrives while the grain is activating goes to _waiting like
    /// any request, and CanStartLocked then makes it wait behind the running one - it never interleaves.
    /// A request that waits for it deadlocks (both time out).
    /// </summary>
    [Fact]
    public async Task An_always_interleave_request_that_arrived_during_activation_still_interleaves()
    {
        var key = RegressionHarness.NewRun();
        var grain = fixture.Client.GetGrain<IReviewActivatingInterleaveGrain>(key);

        var wait = grain.WaitForSignal();
        await RegressionGates.Get($"{key}:activating").Task.WaitAsync(RegressionHarness.Bound);
        var signal = grain.Signal();
        RegressionGates.Open($"{key}:activate");

        var error = await Record.ExceptionAsync(() => Task.WhenAll(wait, signal));
        Assert.True(error is null, $"{error?.GetType().Name}: {error?.Message}");
        Assert.Equal("signalled", await wait);
    }

    /// <summary>
    /// GrainTimerCreationOptions.KeepAlive = false promises ticks do not keep the grain alive, but
    /// every tick ends with OnWorkCompleted, which stamps _lastActiveTimestamp: the grain is never idle.
    /// </summary>
    [Fact]
    public async Task A_timer_without_KeepAlive_does_not_keep_its_grain_from_idle_collection()
    {
        var time = new ManualTimeProvider();
        var cluster = new TestClusterBuilder()
            .WithTimeProvider(time)
            .ConfigureSilo(silo => silo.Configure(o =>
            {
                o.CollectionAge = TimeSpan.FromMinutes(2);
                o.CollectionQuantum = TimeSpan.FromSeconds(30);
            }))
            .Build();
        await using var running = await RegressionHarness.StartAsync(cluster);
        var key = RegressionHarness.NewRun();
        var grain = cluster.Client.GetGrain<IReviewTimerGrain>(key);
        await grain.Start(periodSeconds: 10, keepAlive: false);
        var id = grain.GetGrainId();

        // Four minutes in one-second steps. The next tick is armed when the previous one finished,
        // which the test cannot observe without calling the grain (and so keeping it alive): small
        // steps with a pause between them let every tick finish and re-arm before time moves on.
        for (var second = 1; second <= 240 && cluster.IsActive(id); second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }

        Assert.True(RegressionTimerGrain.Ticks.GetValueOrDefault(key) >= 5, $"the timer ticked only {RegressionTimerGrain.Ticks.GetValueOrDefault(key)} times");

        await Eventually.HoldsAsync(
            () => !cluster.IsActive(id),
            $"the grain, idle but for a KeepAlive=false timer, was collected (collection age 2 min; 4 min passed; {RegressionTimerGrain.Ticks.GetValueOrDefault(key)} ticks)",
            TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// Graceful shutdown with a stateless worker that has a queued request: the worker deactivates,
    /// its queued request is redelivered, and StatelessWorkerGroup (which never checks _shuttingDown
    /// and stays in the directory) creates a new worker that DeactivateAllAsync never asks to
    /// deactivate: its OnDeactivateAsync never runs and shutdown waits the whole ShutdownTimeout.
    /// </summary>
    [Fact]
    public async Task Graceful_shutdown_does_not_start_stateless_workers_it_then_never_deactivates()
    {
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8))).Build();
        await using var running = await RegressionHarness.StartAsync(cluster);
        var key = RegressionHarness.NewRun();
        var worker = cluster.Client.GetGrain<IReviewShutdownWorkerGrain>(key);

        var first = worker.Hold($"{key}:first");
        await Eventually.HoldsAsync(() => RegressionGates.Exists($"{key}:first"), "the only worker runs the first request");
        RegressionGates.Open($"{key}:second");
        var second = worker.Hold($"{key}:second");

        var clock = Stopwatch.StartNew();
        var stop = cluster.StopAsync();
        await Eventually.HoldsAsync(() => cluster.Logs.Entries.Any(e => e.EventId.Id == 1007), "shutdown began deactivating");
        RegressionGates.Open($"{key}:first");
        await Record.ExceptionAsync(() => Task.WhenAll(first, second).WaitAsync(RegressionHarness.Bound));
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
        var elapsed = clock.Elapsed;

        var events = RegressionShutdownWorkerGrain.Events.Where(e => e.StartsWith(key, StringComparison.Ordinal)).ToList();
        var activated = events.Count(e => e.Contains(":activate:", StringComparison.Ordinal));
        var deactivated = events.Count(e => e.Contains(":deactivate:", StringComparison.Ordinal));
        Assert.True(
            elapsed < TimeSpan.FromSeconds(4) && activated == deactivated,
            $"shutdown took {elapsed} (ShutdownTimeout 8 s); workers activated {activated}, deactivated {deactivated}: {string.Join(", ", events)}");
    }
}
