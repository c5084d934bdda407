using System.Collections.Concurrent;
using Agents.Invocation;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Findings of the core review about pooled requests and grain call filters (incoming and
/// outgoing), with the mixed-call stress test run through filters. Each test states the guarantee it
/// checks (docs/runtime.md and the invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class FilterRegressionTests
{
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
        var run = RegressionHarness.NewRun();
        var filter = new HoldAfterInvokeFilter($"{run}:first");
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.AddOutgoingGrainCallFilter(filter)).Build();
        await using var running = await RegressionHarness.StartAsync(cluster);
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
            await filter.Finished.WaitAsync(RegressionHarness.Bound);
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

        Assert.Equal("result of second", await second.WaitAsync(RegressionHarness.Bound));
        Assert.Equal("result of third", await third.WaitAsync(RegressionHarness.Bound));
    }

    /// <summary>
    /// Outgoing filter replacing a result with a value of the wrong type: Finish marks the caller
    /// completed, then the cast throws inside the swallowed continuation - the caller never completes,
    /// not even with the response timeout (the sweep skips completed callers).
    /// </summary>
    [Fact]
    public async Task Outgoing_filter_replacing_a_result_with_a_wrong_type_fails_the_call_instead_of_hanging_it_forever()
    {
        var cluster = WrongTypeResultCluster((silo, filter) => silo.AddOutgoingGrainCallFilter(filter));
        await using var running = await RegressionHarness.StartAsync(cluster);
        var grain = cluster.Client.GetGrain<IReviewPoolGrain>(RegressionHarness.NewRun());

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
        var cluster = WrongTypeResultCluster((silo, filter) => silo.AddIncomingGrainCallFilter(filter));
        await using var running = await RegressionHarness.StartAsync(cluster);
        var grain = cluster.Client.GetGrain<IReviewPoolGrain>(RegressionHarness.NewRun());

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
        await using var running = await RegressionHarness.StartAsync(cluster);
        var run = RegressionHarness.NewRun();

        await cluster.Client.GetGrain<IReviewPoolGrain>(run).Fire($"{run}:fired");
        await RegressionGates.Get($"{run}:fired").Task.WaitAsync(RegressionHarness.Bound);

        await Eventually.HoldsAsync(
            () => Volatile.Read(ref filter.After) == 1,
            "the filter's code after `await context.Invoke()` ran for the one-way call",
            TimeSpan.FromSeconds(2));
    }

    // -----------------------------------------------------------------------------------------
    // Stress through filters

    /// <summary>
    /// The same workload through pass-through incoming and outgoing filters that check the request
    /// they wrap still carries their call's arguments after `await context.Invoke()` (a filter may
    /// read arguments and results; the request must not be recycled under it).
    /// </summary>
    [Fact]
    public async Task Stress_mixed_calls_through_filters_never_see_their_request_recycled()
    {
        var incoming = new ArgumentCheckingFilter();
        var outgoing = new ArgumentCheckingFilter();
        var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddIncomingGrainCallFilter(incoming).AddOutgoingGrainCallFilter(outgoing))
            .Build();
        await using var running = await RegressionHarness.StartAsync(cluster);

        var report = await MixedStress.RunAsync(cluster, calls: 20_000, grainCount: 50);

        Assert.True(
            report.Failures.IsEmpty && incoming.Mismatches.IsEmpty && outgoing.Mismatches.IsEmpty,
            report.Describe() +
            $"\nincoming filter saw its request change under it {incoming.Mismatches.Count} times, e.g. {string.Join("; ", incoming.Mismatches.Take(3))}" +
            $"\noutgoing filter saw its request change under it {outgoing.Mismatches.Count} times, e.g. {string.Join("; ", outgoing.Mismatches.Take(3))}");
    }

    /// <summary>
    /// A cluster with a 1 s response timeout whose silo runs, as <paramref name="addFilter"/> adds it, a
    /// filter that turns the result of Echo("wrong-type") into an int.
    /// </summary>
    private static TestCluster WrongTypeResultCluster(Func<ISiloBuilder, ReplaceResultFilter, ISiloBuilder> addFilter)
    {
        var filter = new ReplaceResultFilter("wrong-type", 42);
        return new TestClusterBuilder()
            .ConfigureSilo(silo => addFilter(silo, filter).Configure(o => o.ResponseTimeout = TimeSpan.FromSeconds(1)))
            .Build();
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

    /// <summary>Records every call whose request no longer carries the method and arguments it had before `await context.Invoke()`.</summary>
    private sealed class ArgumentCheckingFilter : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        public ConcurrentQueue<string> Mismatches { get; } = new();

        public Task Invoke(IIncomingGrainCallContext context) => Check(context);

        public Task Invoke(IOutgoingGrainCallContext context) => Check(context);

        private static string Snapshot(GrainRequest request)
        {
            if (request.ArgumentCount == 0)
            {
                return $"{request.Method}()";
            }

            var arguments = Enumerable.Range(0, request.ArgumentCount).Select(i => request.GetArgument(i)?.ToString() ?? "null");
            return $"{request.Method}({string.Join(", ", arguments)})";
        }

        private async Task Check(IGrainCallContext context)
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
