using System.Diagnostics;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Deadlock-detection findings of the core review: calls that close no cycle must not fail as one,
/// and a stateless worker that waits on itself must fail at once. Each test states the guarantee it
/// checks (docs/runtime.md and the invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
public sealed class CallCycleRegressionTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    /// <summary>
    /// The call chain travels in the RequestContext and outlives the call that made it: B, called
    /// one-way by A, calls A back later while A is busy with an unrelated request. Nothing waits on
    /// anything in a cycle, yet TryEnqueue sees A in the chain and _running > 0 and fails the call.
    /// </summary>
    [Fact]
    public async Task A_call_back_after_a_one_way_call_is_not_a_deadlock_when_the_grain_is_busy_with_something_else()
    {
        var run = RegressionHarness.NewRun();
        var a = fixture.Client.GetGrain<IReviewCycleGrain>($"{run}-a");

        await a.Kick($"{run}-b", run);
        var busy = a.Busy(run);
        await RegressionGates.Get($"{run}:called").Task.WaitAsync(RegressionHarness.Bound);
        RegressionGates.Open($"{run}:busy-release");
        await busy.WaitAsync(RegressionHarness.Bound);
        var outcome = await RegressionGates.Get($"{run}:outcome").Task.WaitAsync(RegressionHarness.Bound);

        Assert.Equal($"pong from {run}-a", outcome);
    }

    /// <summary>[ReadOnly] requests interleave with each other (CanStartLocked allows it), but the cycle check refuses the call first.</summary>
    [Fact]
    public async Task A_read_only_call_back_into_a_read_only_request_is_not_a_deadlock()
    {
        var run = RegressionHarness.NewRun();
        var a = fixture.Client.GetGrain<IReviewReadOnlyCycleGrain>($"{run}-a");

        var error = await Record.ExceptionAsync(async () => Assert.Equal("peeked", await a.ReadVia($"{run}-b").WaitAsync(RegressionHarness.Bound)));

        Assert.True(error is null, $"a read-only call back into read-only requests failed: {error?.GetType().Name}: {error?.Message}");
    }

    /// <summary>
    /// Stateless workers skip the cycle check (Group is null), so a worker pool at its limit that
    /// calls itself waits on itself until the response timeout instead of failing at once.
    /// </summary>
    [Fact]
    public async Task A_stateless_worker_at_its_limit_calling_itself_does_not_wait_for_the_response_timeout()
    {
        var worker = fixture.Client.GetGrain<IReviewWorkerGrain>(RegressionHarness.NewRun());
        var clock = Stopwatch.StartNew();

        var error = await Record.ExceptionAsync(() => worker.CallSelf(1));

        Assert.False(error is TimeoutException, $"the self-call waited {clock.Elapsed} for its response timeout (1 s) instead of failing at once with a DeadlockException");
    }
}
