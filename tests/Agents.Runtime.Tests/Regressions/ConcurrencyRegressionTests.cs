using System.Collections.Concurrent;
using System.Diagnostics;
using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;
using Agents.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Concurrency and lifecycle findings of the core review. Each test states the guarantee it checks
/// (docs/runtime.md and the invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
public sealed class ConcurrencyRegressionTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static string NewRun() => "regression-" + Guid.NewGuid().ToString("N")[..12];

    internal static GrainCatalog CatalogOf(TestCluster cluster) => cluster.Services.GetRequiredService<SiloRuntime>().Catalog;

    /// <summary>Deploys <paramref name="cluster"/>; disposing the result stops it within 3 s, so a wedged grain cannot hide a test's own failure.</summary>
    private static async Task<IAsyncDisposable> StartAsync(TestCluster cluster)
    {
        await cluster.DeployAsync();
        return new BoundedStop(cluster);
    }

    private sealed class BoundedStop(TestCluster cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await cluster.StopAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // A grain the test left wedged (the bug under test) keeps shutdown waiting; do not wait for it.
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Pooled requests and outgoing filters

    /// <summary>
    /// Outgoing filter + a caller that stopped waiting (cancellation; a timeout is the same): the
    /// callee's release recycles the request while the filter pipeline still holds it, and the
    /// pipeline's Finish later completes whatever call reuses the object with the old result.
    /// </summary>
    [Fact]
    public async Task Outgoing_filter_finishing_after_a_cancelled_call_does_not_complete_the_call_that_reuses_its_request()
    {
        var run = NewRun();
        var filter = new HoldAfterInvokeFilter($"{run}:first");
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.AddOutgoingGrainCallFilter(filter)).Build();
        await using var running = await StartAsync(cluster);
        var grain = cluster.Client.GetGrain<IReviewPoolGrain>(run);

        using var cancellation = new CancellationTokenSource();
        var first = grain.Gated($"{run}:first", cancellation.Token);
        await Eventually.HoldsAsync(() => RegressionGates.Exists($"{run}:first"), "the grain runs the first call");
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        // On one pool thread (no SynchronizationContext, so completions run inline): finish the first
        // invocation - the callee releases the request and it goes back to this thread's pool slot -
        // then make the next calls, which rent from that slot.
        var (second, third) = await Task.Run(() =>
        {
            RegressionGates.Open($"{run}:first", "result of first");
            return (grain.Gated($"{run}:second", CancellationToken.None), grain.Gated($"{run}:third", CancellationToken.None));
        });

        try
        {
            // The first call's filter now finishes its pipeline.
            filter.Release();
            await filter.Finished.WaitAsync(Bound);
            var early = await Task.WhenAny(second, third, Task.Delay(500));
            if (early == second || early == third)
            {
                var reused = ReferenceEquals(filter.RequestOf($"{run}:first"), filter.RequestOf($"{run}:second"))
                    || ReferenceEquals(filter.RequestOf($"{run}:first"), filter.RequestOf($"{run}:third"));
                Assert.Fail(
                    $"a call whose grain has not answered yet completed with '{await (Task<string>)early}': the first call's filter pipeline " +
                    $"completed a recycled request now used by another call (same request object reused: {reused}).");
            }
        }
        finally
        {
            RegressionGates.Open($"{run}:second", "result of second");
            RegressionGates.Open($"{run}:third", "result of third");
        }

        Assert.Equal("result of second", await second.WaitAsync(Bound));
        Assert.Equal("result of third", await third.WaitAsync(Bound));
    }

    /// <summary>
    /// Outgoing filter replacing a result with a value of the wrong type: Finish marks the caller
    /// completed, then the cast throws inside the swallowed continuation - the caller never completes,
    /// not even with the response timeout (the sweep skips completed callers).
    /// </summary>
    [Fact]
    public async Task Outgoing_filter_replacing_a_result_with_a_wrong_type_fails_the_call_instead_of_hanging_it_forever()
    {
        var filter = new ReplaceResultFilter("wrong-type", 42);
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddOutgoingGrainCallFilter(filter).Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(1)))
            .Build();
        await using var running = await StartAsync(cluster);
        var grain = cluster.Client.GetGrain<IReviewPoolGrain>(NewRun());

        var call = grain.Echo("wrong-type").AsTask();
        var done = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(4)));

        Assert.True(done == call, "the call never completed (response timeout is 1 s; waited 4 s)");
        await Assert.ThrowsAnyAsync<Exception>(() => call);
    }

    /// <summary>
    /// Incoming filter replacing a result with a value of the wrong type: IncomingCallContext.Finish
    /// throws before OnInvocationCompleted, so _running never drops: the caller times out and the
    /// activation is wedged for every later request.
    /// </summary>
    [Fact]
    public async Task Incoming_filter_replacing_a_result_with_a_wrong_type_fails_that_call_and_leaves_the_grain_usable()
    {
        var filter = new ReplaceResultFilter("wrong-type", 42);
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddIncomingGrainCallFilter(filter).Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(1)))
            .Build();
        await using var running = await StartAsync(cluster);
        var grain = cluster.Client.GetGrain<IReviewPoolGrain>(NewRun());

        var error = await Record.ExceptionAsync(() => grain.Echo("wrong-type").AsTask());
        var next = await Record.ExceptionAsync(async () => Assert.Equal("fine", await grain.Echo("fine")));

        Assert.False(error is null or TimeoutException, $"the bad call should fail with the filter's error, not {error?.GetType().Name ?? "success"}");
        Assert.True(next is null, $"the next call to the grain failed: {next?.GetType().Name}: {next?.Message}");
    }

    /// <summary>
    /// One-way calls through an outgoing filter: CompleteLocalCall returns early for one-way calls
    /// and never reaches the OutcomeSink, so the filter's `await context.Invoke()` never returns.
    /// </summary>
    [Fact]
    public async Task Outgoing_filter_around_a_one_way_call_gets_control_back_after_Invoke()
    {
        var filter = new CountingFilter();
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.AddOutgoingGrainCallFilter(filter)).Build();
        await using var running = await StartAsync(cluster);
        var run = NewRun();

        await cluster.Client.GetGrain<IReviewPoolGrain>(run).Fire($"{run}:fired");
        await RegressionGates.Get($"{run}:fired").Task.WaitAsync(Bound);

        await Eventually.HoldsAsync(
            () => Volatile.Read(ref filter.After) == 1,
            "the filter's code after `await context.Invoke()` ran for the one-way call",
            TimeSpan.FromSeconds(2));
    }

    // -----------------------------------------------------------------------------------------
    // Deadlock detection

    /// <summary>
    /// The call chain travels in the RequestContext and outlives the call that made it: B, called
    /// one-way by A, calls A back later while A is busy with an unrelated request. Nothing waits on
    /// anything in a cycle, yet TryEnqueue sees A in the chain and _running > 0 and fails the call.
    /// </summary>
    [Fact]
    public async Task A_call_back_after_a_one_way_call_is_not_a_deadlock_when_the_grain_is_busy_with_something_else()
    {
        var run = NewRun();
        var a = fixture.Client.GetGrain<IReviewCycleGrain>($"{run}-a");

        await a.Kick($"{run}-b", run);
        var busy = a.Busy(run);
        await RegressionGates.Get($"{run}:called").Task.WaitAsync(Bound);
        RegressionGates.Open($"{run}:busy-release");
        await busy.WaitAsync(Bound);
        var outcome = await RegressionGates.Get($"{run}:outcome").Task.WaitAsync(Bound);

        Assert.Equal($"pong from {run}-a", outcome);
    }

    /// <summary>[ReadOnly] requests interleave with each other (CanStartLocked allows it), but the cycle check refuses the call first.</summary>
    [Fact]
    public async Task A_read_only_call_back_into_a_read_only_request_is_not_a_deadlock()
    {
        var run = NewRun();
        var a = fixture.Client.GetGrain<IReviewReadOnlyCycleGrain>($"{run}-a");

        var error = await Record.ExceptionAsync(async () => Assert.Equal("peeked", await a.ReadVia($"{run}-b").WaitAsync(Bound)));

        Assert.True(error is null, $"a read-only call back into read-only requests failed: {error?.GetType().Name}: {error?.Message}");
    }

    /// <summary>
    /// Stateless workers skip the cycle check (Group is null), so a worker pool at its limit that
    /// calls itself waits on itself until the response timeout instead of failing at once.
    /// </summary>
    [Fact]
    public async Task A_stateless_worker_at_its_limit_calling_itself_does_not_wait_for_the_response_timeout()
    {
        var worker = fixture.Client.GetGrain<IReviewWorkerGrain>(NewRun());
        var clock = Stopwatch.StartNew();

        var error = await Record.ExceptionAsync(() => worker.CallSelf(1));

        Assert.False(error is TimeoutException, $"the self-call waited {clock.Elapsed} for its response timeout (1 s) instead of failing at once with a DeadlockException");
    }

    // -----------------------------------------------------------------------------------------
    // Lifecycle

    /// <summary>
    /// DeactivateOnIdle in OnActivateAsync: the activation deactivates as soon as it is Active, and
    /// the request that caused it is redelivered to a new activation, which does the same - forever,
    /// even after the caller timed out (Redeliver has no bound).
    /// </summary>
    [Fact]
    public async Task DeactivateOnIdle_during_activation_does_not_bounce_the_waiting_call_between_activations_forever()
    {
        var key = NewRun();
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
        var key = NewRun();
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
        var key = NewRun();
        var grain = fixture.Client.GetGrain<IReviewActivatingInterleaveGrain>(key);

        var wait = grain.WaitForSignal();
        await RegressionGates.Get($"{key}:activating").Task.WaitAsync(Bound);
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
        await using var running = await StartAsync(cluster);
        var key = NewRun();
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
        await using var running = await StartAsync(cluster);
        var key = NewRun();
        var worker = cluster.Client.GetGrain<IReviewShutdownWorkerGrain>(key);

        var first = worker.Hold($"{key}:first");
        await Eventually.HoldsAsync(() => RegressionGates.Exists($"{key}:first"), "the only worker runs the first request");
        RegressionGates.Open($"{key}:second");
        var second = worker.Hold($"{key}:second");

        var clock = Stopwatch.StartNew();
        var stop = cluster.StopAsync();
        await Eventually.HoldsAsync(() => cluster.Logs.Entries.Any(e => e.EventId.Id == 1007), "shutdown began deactivating");
        RegressionGates.Open($"{key}:first");
        await Record.ExceptionAsync(() => Task.WhenAll(first, second).WaitAsync(Bound));
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
        var elapsed = clock.Elapsed;

        var events = RegressionShutdownWorkerGrain.Events.Where(e => e.StartsWith(key, StringComparison.Ordinal)).ToList();
        var activated = events.Count(e => e.Contains(":activate:", StringComparison.Ordinal));
        var deactivated = events.Count(e => e.Contains(":deactivate:", StringComparison.Ordinal));
        Assert.True(
            elapsed < TimeSpan.FromSeconds(4) && activated == deactivated,
            $"shutdown took {elapsed} (ShutdownTimeout 8 s); workers activated {activated}, deactivated {deactivated}: {string.Join(", ", events)}");
    }

    /// <summary>
    /// Memory streams: a producer takes a sequence token (NextToken) and enqueues in two steps, so
    /// with concurrent producers the pump delivers events out of token order.
    /// </summary>
    [Fact]
    public async Task Stream_events_reach_a_subscriber_in_sequence_token_order()
    {
        var stream = fixture.Client.GetStreamProvider("Default").GetStream<int>(StreamId.Create("regression-tokens", NewRun()));
        var tokens = new List<long>();
        const int Producers = 4;
        const int PerProducer = 5_000;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await stream.SubscribeAsync((_, token) =>
        {
            lock (tokens)
            {
                tokens.Add(token?.SequenceNumber ?? -1);
                if (tokens.Count == Producers * PerProducer)
                {
                    all.TrySetResult();
                }
            }

            return Task.CompletedTask;
        });

        using var start = new Barrier(Producers);
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    _ = stream.OnNextAsync((p * PerProducer) + i);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await handle.UnsubscribeAsync();

        List<long> snapshot;
        lock (tokens)
        {
            snapshot = [.. tokens];
        }

        var inversions = snapshot.Zip(snapshot.Skip(1)).Count(pair => pair.Second <= pair.First);
        Assert.True(inversions == 0, $"{inversions} of {snapshot.Count} events arrived with a token not above the previous one's");
    }

    // -----------------------------------------------------------------------------------------
    // Stress

    /// <summary>
    /// 20,000 calls across 50 grains mixing Task/ValueTask results, exceptions before and after
    /// awaits, cancellation, response timeouts, one-way calls, read-only, always-interleave and
    /// grain-to-grain calls. Every call must complete once, within the bound, with its own result
    /// (a pooled request handed to two calls shows up as a result that does not match its argument);
    /// afterwards every activation is idle and no call is left in the timeout registry.
    /// </summary>
    [Fact]
    public async Task Stress_mixed_calls_each_complete_once_with_their_own_outcome()
    {
        var cluster = new TestClusterBuilder().Build();
        await using var running = await StartAsync(cluster);

        var report = await MixedStress.RunAsync(cluster, calls: 20_000, grainCount: 50);

        Assert.True(report.Failures.IsEmpty, report.Describe());
    }

    /// <summary>
    /// The same workload through pass-through incoming and outgoing filters that check the request
    /// they wrap still carries their call's arguments after `await context.Invoke()` (a filter may
    /// read arguments and results; the request must not be recycled under it).
    /// </summary>
    [Fact]
    public async Task Stress_mixed_calls_through_filters_never_see_their_request_recycled()
    {
        var incoming = new ArgumentCheckingIncomingFilter();
        var outgoing = new ArgumentCheckingOutgoingFilter();
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddIncomingGrainCallFilter(incoming).AddOutgoingGrainCallFilter(outgoing))
            .Build();
        await using var running = await StartAsync(cluster);

        var report = await MixedStress.RunAsync(cluster, calls: 20_000, grainCount: 50);

        Assert.True(
            report.Failures.IsEmpty && incoming.Mismatches.IsEmpty && outgoing.Mismatches.IsEmpty,
            report.Describe() +
            $"\nincoming filter saw its request change under it {incoming.Mismatches.Count} times, e.g. {string.Join("; ", incoming.Mismatches.Take(3))}" +
            $"\noutgoing filter saw its request change under it {outgoing.Mismatches.Count} times, e.g. {string.Join("; ", outgoing.Mismatches.Take(3))}");
    }

    /// <summary>
    /// One-way hops through shared, cached references. GrainCatalog.Deliver writes
    /// request.TargetReference.CachedTarget after TryEnqueue handed a one-way request (whose caller
    /// already let go) to the activation; if it ran and was recycled and re-rented meanwhile, the
    /// write caches this activation on another grain's reference, and later calls through that
    /// reference run on the wrong grain. The window is a few instructions; the test oversubscribes
    /// the CPU to widen it, so it can pass by luck.
    /// </summary>
    [Fact]
    public async Task Stress_one_way_calls_always_reach_the_grain_they_were_sent_to()
    {
        // Call-chain reentrancy on: one-way hop chains carry an ever-growing call chain, and without
        // it the cycle check fails hops with false DeadlockExceptions (see the one-way cycle test).
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.Configure(o => o.AllowCallChainReentrancy = true)).Build();
        await using var running = await StartAsync(cluster);
        RegressionHopGrain.References.Clear();
        Interlocked.Exchange(ref RegressionHopGrain.Hops, 0);
        Interlocked.Exchange(ref RegressionHopGrain.Misdelivered, 0);

        const int Chains = 200;
        const int Length = 200;
        using var stop = new CancellationTokenSource();
        var spinners = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Thread.SpinWait(200);
                    Thread.Yield();
                }
            })
            { IsBackground = true })
            .ToList();
        spinners.ForEach(t => t.Start());
        var clock = Stopwatch.StartNew();
        long sent = 0;
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(4) && Interlocked.Read(ref RegressionHopGrain.Misdelivered) == 0)
            {
                for (var chain = 0; chain < Chains; chain++)
                {
                    var key = $"hop-{chain % RegressionHopGrain.Keys}";
                    await RegressionHopGrain.Reference(cluster.Client, key).Hop(key, Length - 1, (int)sent + chain);
                }

                sent += (long)Chains * Length;
                var round = Stopwatch.StartNew();
                while (Interlocked.Read(ref RegressionHopGrain.Hops) < sent && round.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(5);
                }

                Assert.True(
                    Interlocked.Read(ref RegressionHopGrain.Hops) >= sent,
                    $"{sent - Interlocked.Read(ref RegressionHopGrain.Hops)} of {sent} one-way hops never ran; " +
                    string.Join(" | ", cluster.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Take(2).Select(e => e.Message)));
            }
        }
        finally
        {
            await stop.CancelAsync();
            spinners.ForEach(t => t.Join());
        }

        Assert.True(
            Interlocked.Read(ref RegressionHopGrain.Misdelivered) == 0,
            $"{RegressionHopGrain.Misdelivered} of {Interlocked.Read(ref RegressionHopGrain.Hops)} hops ran on the wrong grain, e.g. {string.Join("; ", RegressionHopGrain.MisdeliveryExamples)}");
    }

    // -----------------------------------------------------------------------------------------
    // Filters used above

    /// <summary>Records each call's request; for one key, holds the pipeline after Invoke() until released.</summary>
    private sealed class HoldAfterInvokeFilter(string holdKey) : IOutgoingGrainCallFilter
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<string, object> _requests = new(StringComparer.Ordinal);

        public Task Finished => _finished.Task;

        public void Release() => _release.TrySetResult();

        public object? RequestOf(string key) => _requests.GetValueOrDefault(key);

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            var key = context.Request.ArgumentCount > 0 ? context.Request.GetArgument(0) as string : null;
            if (key is not null)
            {
                _requests[key] = context.Request;
            }

            try
            {
                await context.Invoke();
            }
            finally
            {
                if (key == holdKey)
                {
                    await _release.Task;
                    _finished.TrySetResult();
                }
            }
        }
    }

    /// <summary>Replaces the result of calls whose first argument is <paramref name="trigger"/>.</summary>
    private sealed class ReplaceResultFilter(string trigger, object replacement) : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context) => Run(context);

        public Task Invoke(IOutgoingGrainCallContext context) => Run(context);

        private async Task Run(IGrainCallContext context)
        {
            await context.Invoke();

            // Finish the pipeline asynchronously, as any filter that awaits after Invoke() does.
            await Task.Yield();
            if (context.Request.ArgumentCount > 0 && Equals(context.Request.GetArgument(0), trigger))
            {
                context.Result = replacement;
            }
        }
    }

    private sealed class CountingFilter : IOutgoingGrainCallFilter
    {
        public int Before;
        public int After;

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            Interlocked.Increment(ref Before);
            await context.Invoke();
            Interlocked.Increment(ref After);
        }
    }

    private static string Snapshot(GrainRequest request)
    {
        if (request.ArgumentCount == 0)
        {
            return $"{request.Method}()";
        }

        var arguments = Enumerable.Range(0, request.ArgumentCount).Select(i => request.GetArgument(i)?.ToString() ?? "null");
        return $"{request.Method}({string.Join(", ", arguments)})";
    }

    private sealed class ArgumentCheckingIncomingFilter : IIncomingGrainCallFilter
    {
        public ConcurrentQueue<string> Mismatches { get; } = new();

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            var before = Snapshot(context.Request);
            try
            {
                await context.Invoke();
            }
            finally
            {
                var after = Snapshot(context.Request);
                if (before != after)
                {
                    Mismatches.Enqueue($"{before} became {after}");
                }
            }
        }
    }

    private sealed class ArgumentCheckingOutgoingFilter : IOutgoingGrainCallFilter
    {
        public ConcurrentQueue<string> Mismatches { get; } = new();

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            var before = Snapshot(context.Request);
            try
            {
                await context.Invoke();
            }
            finally
            {
                var after = Snapshot(context.Request);
                if (before != after)
                {
                    Mismatches.Enqueue($"{before} became {after}");
                }
            }
        }
    }
}

/// <summary>The mixed-call workload of the stress tests.</summary>
internal static class MixedStress
{
    public sealed record Report(ConcurrentQueue<string> Failures, int Calls, TimeSpan Elapsed, string Outcomes)
    {
        public string Describe() =>
            $"{Failures.Count} of {Calls} calls went wrong in {Elapsed} ({Outcomes}); first ones:\n" + string.Join("\n", Failures.Take(10));
    }

    public static async Task<Report> RunAsync(TestCluster cluster, int calls, int grainCount)
    {
        var run = "stress-" + Guid.NewGuid().ToString("N")[..8];
        var client = cluster.Client;
        var grains = Enumerable.Range(0, grainCount).Select(i => client.GetGrain<IReviewStressGrain>($"{run}-{i}")).ToArray();
        var notes = new long[grainCount];
        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();

        const int Workers = 8;
        const int Batch = 64;
        var workers = Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var batch = new List<Task>(Batch);
            for (var i = worker; i < calls; i += Workers)
            {
                var g = random.Next(grainCount);
                long x = ((long)worker << 32) | (uint)i;
                batch.Add(OneCall(grains[g], grains[(g + 1) % grainCount].GetPrimaryKeyString(), g, x, random.Next(100), random.Next(6)));
                if (batch.Count == Batch)
                {
                    await Task.WhenAll(batch);
                    batch.Clear();
                }
            }

            await Task.WhenAll(batch);
        })).ToArray();

        var all = Task.WhenAll(workers);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) != all)
        {
            failures.Enqueue("calls still incomplete after 60 s");
            return new Report(failures, calls, clock.Elapsed, Summarize(outcomes));
        }

        await all;

        // One-way notes all land.
        for (var g = 0; g < grainCount; g++)
        {
            var grain = grains[g];
            var expected = Interlocked.Read(ref notes[g]);
            var limit = Stopwatch.StartNew();
            long noted;
            while ((noted = await grain.Noted()) != expected && limit.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(10);
            }

            if (noted != expected)
            {
                failures.Enqueue($"grain {g}: one-way notes sum {noted}, expected {expected}");
            }
        }

        // Accounting: every activation idle, no call left registered for timeouts.
        var catalog = ConcurrencyRegressionTests.CatalogOf(cluster);
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(5) && (catalog.Activations.Any(a => a.RunningCount != 0 || a.QueuedCount != 0) || catalog.PendingCalls.Count != 0))
        {
            await Task.Delay(20);
        }

        foreach (var activation in catalog.Activations.Where(a => a.RunningCount != 0 || a.QueuedCount != 0))
        {
            failures.Enqueue($"{activation} stays busy: running {activation.RunningCount}, queued {activation.QueuedCount}");
        }

        if (catalog.PendingCalls.Count != 0)
        {
            failures.Enqueue($"{catalog.PendingCalls.Count} calls left in the response-timeout registry");
        }

        return new Report(failures, calls, clock.Elapsed, Summarize(outcomes));

        async Task OneCall(IReviewStressGrain grain, string other, int g, long x, int dice, int small)
        {
            var expected = RegressionStressGrain.Expected(x);
            var kind = dice switch
            {
                < 20 => "compute",
                < 35 => "value",
                < 45 => "fail",
                < 55 => "cancel",
                < 60 => "timeout",
                < 72 => "note",
                < 80 => "read",
                < 88 => "interleave",
                _ => "relay",
            };

            try
            {
                switch (kind)
                {
                    case "compute":
                        Check(await grain.Compute(x, (x & 1) == 0));
                        break;
                    case "value":
                        Check(await grain.ComputeValue(x, (x & 1) == 0));
                        break;
                    case "fail":
                        var error = await Record.ExceptionAsync(() => grain.Fail(x, (x & 1) == 0));
                        if (error is not InvalidOperationException || error.Message != $"fail:{x}")
                        {
                            failures.Enqueue($"Fail({x}) ended with {error?.GetType().Name ?? "success"}: {error?.Message}");
                        }

                        Count("fail");
                        return;
                    case "cancel":
                        using (var cancellation = new CancellationTokenSource())
                        {
                            if (small == 0)
                            {
                                await cancellation.CancelAsync();
                            }
                            else
                            {
                                cancellation.CancelAfter(small);
                            }

                            try
                            {
                                Check(await grain.Sleep(x, small, cancellation.Token));
                            }
                            catch (OperationCanceledException)
                            {
                                Count("cancelled");
                                return;
                            }
                        }

                        break;
                    case "timeout":
                        try
                        {
                            Check(await grain.SleepPastTimeout(x, 30 + (small * 10)));
                        }
                        catch (TimeoutException timeout) when (timeout.Message.Contains("SleepPastTimeout", StringComparison.Ordinal))
                        {
                            Count("timed out");
                            return;
                        }

                        break;
                    case "note":
                        Interlocked.Add(ref notes[g], x & 0xFF);
                        await grain.Note(x & 0xFF);
                        break;
                    case "read":
                        Check(await grain.Read(x));
                        break;
                    case "interleave":
                        Check(await grain.Interleaved(x));
                        break;
                    default:
                        Check(await grain.Relay(other, x));
                        break;
                }

                Count(kind);
            }
            catch (Exception exception)
            {
                failures.Enqueue($"{kind}({x}) failed: {exception.GetType().Name}: {exception.Message}");
            }

            void Check(long result)
            {
                if (result != expected)
                {
                    failures.Enqueue($"{kind}({x}) returned {result}, expected {expected} (another call's result?)");
                }
            }
        }

        void Count(string outcome) => outcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
    }

    private static string Summarize(ConcurrentDictionary<string, int> outcomes) =>
        string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
}
