using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Scheduling;

public sealed class TurnTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Turns_of_a_non_reentrant_grain_never_overlap_even_across_awaits()
    {
        var grain = fixture.Client.GetGrain<ITurnProbeGrain>("serial");

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => grain.Work(awaits: 3))));
        var report = await grain.Report();

        Assert.All(results, onContext => Assert.True(onContext, "a continuation ran off the activation's context"));
        Assert.Equal(40, report.Calls);
        Assert.Equal(0, report.Overlaps);
        Assert.Equal(1, report.MaxInFlight);
        Assert.Equal(0, report.ParallelSegments);
    }

    [Fact]
    public async Task A_reentrant_grain_interleaves_requests_only_at_awaits_never_in_parallel()
    {
        var grain = fixture.Client.GetGrain<IReentrantProbeGrain>("interleaved");

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => grain.Work(awaits: 3))));
        var report = await grain.Report();

        Assert.All(results, onContext => Assert.True(onContext, "a continuation ran off the activation's context"));
        Assert.Equal(40, report.Calls);
        Assert.True(report.MaxInFlight > 1, $"expected requests to interleave, max in flight was {report.MaxInFlight}");
        Assert.Equal(0, report.ParallelSegments);
    }

    [Fact]
    public async Task An_always_interleave_method_runs_while_the_grain_is_busy()
    {
        var grain = fixture.Client.GetGrain<ICallGrain>("busy-interleave");
        var busy = grain.HoldBusy(2_000);
        await Task.Delay(100);

        var interleaved = await grain.Interleaving().WaitAsync(TimeSpan.FromSeconds(1));

        Assert.Equal("interleaved", interleaved);
        Assert.False(busy.IsCompleted);
        Assert.Equal("held", await busy);
    }
}
