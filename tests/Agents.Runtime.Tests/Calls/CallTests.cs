using System.Diagnostics;
using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Calls;

public sealed class CallTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private ICallGrain Grain(string key) => fixture.Client.GetGrain<ICallGrain>(key);

    [Fact]
    public async Task Results_come_back_from_every_return_shape()
    {
        Assert.Equal(5, await Grain("math").Add(2, 3));
        Assert.Equal("hello", await Grain("math").Echo("hello"));
    }

    [Fact]
    public async Task An_exception_thrown_in_a_grain_reaches_the_caller_with_its_type_and_message()
    {
        var sync = await Assert.ThrowsAsync<GrainFailureException>(() => Grain("thrower").Throw("bad input: 42"));
        Assert.Equal("bad input: 42", sync.Message);

        var async = await Assert.ThrowsAsync<InvalidOperationException>(() => Grain("thrower").ThrowAfterAwait("later"));
        Assert.Equal("later", async.Message);

        // The grain keeps serving after a failed call.
        Assert.Equal(3, await Grain("thrower").Add(1, 2));
    }

    [Fact]
    public async Task A_call_cycle_fails_at_once_naming_the_chain()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DeadlockException>(() => Grain("cycle-a").CallThrough("cycle-b"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the cycle took {clock.Elapsed} to fail; it must not wait for the response timeout");
        Assert.Contains("call/cycle-a → call/cycle-b → call/cycle-a", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.CallChain.Count);
    }

    [Fact]
    public async Task A_call_that_outlives_its_method_response_timeout_fails_with_a_timeout()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Grain("slow").SleepWithShortTimeout(3_000));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(2.5));
        Assert.Contains("SleepWithShortTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:00.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_the_token_cancels_the_call_and_the_grain_sees_it()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Grain("cancel").Sleep(10_000, cancellation.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        // The grain's own Task.Delay was cancelled too, so it is free again.
        Assert.Equal("slept", await Grain("cancel").Sleep(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Request_context_flows_to_the_callee_and_onward()
    {
        RequestContext.Set("tenant", "contoso");
        try
        {
            Assert.Equal("contoso", await Grain("ctx-1").GetRequestContext("tenant"));
            Assert.Equal("contoso", await Grain("ctx-1").GetRequestContextViaOther("ctx-2", "tenant"));
        }
        finally
        {
            RequestContext.Clear();
        }

        Assert.Null(await Grain("ctx-1").GetRequestContext("tenant"));
    }

    [Fact]
    public async Task One_way_calls_return_at_once_and_are_processed_in_order()
    {
        var grain = Grain("oneway");
        for (var i = 0; i < 50; i++)
        {
            var call = grain.Record($"m{i}");
            Assert.True(call.IsCompleted);
        }

        await Eventually.HoldsAsync(async () => (await grain.Recorded()).Count == 50, "all one-way calls were processed");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), await grain.Recorded());
    }

    [Fact]
    public async Task Mutable_arguments_and_results_are_copied_for_local_calls()
    {
        var mine = new List<int> { 1, 2 };

        var returned = await Grain("copy").MutateAndReturn(mine);

        Assert.Equal([1, 2], mine);
        Assert.Equal([1, 2, -1], returned);
        Assert.NotSame(mine, returned);
    }
}
