using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Scheduling;

public sealed class ActivationTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Concurrent_first_calls_create_exactly_one_activation_per_grain()
    {
        ActivationCounterGrain.Reset();
        var calls = new List<Task<Guid>>();
        for (var grain = 0; grain < 10; grain++)
        {
            for (var call = 0; call < 100; call++)
            {
                var key = 1_000 + grain;
                calls.Add(Task.Run(() => fixture.Client.GetGrain<IActivationCounterGrain>(key).GetActivationId()));
            }
        }

        var ids = await Task.WhenAll(calls);

        Assert.Equal(10, ActivationCounterGrain.Activations);
        for (var grain = 0; grain < 10; grain++)
        {
            Assert.Single(ids.Skip(grain * 100).Take(100).Distinct());
        }

        Assert.Equal(10, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_failing_OnActivateAsync_fails_the_call_with_its_exception_and_leaves_no_activation()
    {
        var grain = fixture.Client.GetGrain<IFailingActivationGrain>("broken");

        var first = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Hello());
        Assert.Equal("activation of broken refused", first.Message);
        Assert.False(fixture.Cluster.IsActive(grain.GetGrainId()));

        // The next call tries again rather than finding a half-made activation.
        var attempts = FailingActivationGrain.Attempts;
        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Hello());
        Assert.Equal(attempts + 1, FailingActivationGrain.Attempts);
    }

    [Fact]
    public async Task Stateless_workers_run_in_parallel_up_to_their_limit()
    {
        var worker = fixture.Client.GetGrain<IWorkerGrain>(7);

        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => worker.Work(100)));

        var distinct = ids.Distinct().Count();
        Assert.InRange(distinct, 2, 4);
    }

    [Fact]
    public async Task An_unknown_grain_interface_is_a_clear_error()
    {
        var error = Assert.Throws<GrainTypeNotFoundException>(() => fixture.Client.GetGrain<INotImplementedGrain>("x"));
        Assert.Contains("No grain class implements", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(INotImplementedGrain), error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}

public sealed class GrainIdTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public void A_grain_id_of_an_unknown_or_unrelated_type_is_a_clear_error()
    {
        var unknown = Assert.Throws<GrainTypeNotFoundException>(() => fixture.Client.GetGrain<ICallGrain>(GrainId.Create(new GrainType("nosuch"), "x")));
        Assert.Contains("'nosuch'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ICallGrain), unknown.Message, StringComparison.Ordinal);

        var unrelated = Assert.Throws<GrainTypeNotFoundException>(() => fixture.Client.GetGrain<ICallGrain>(GrainId.Create(new GrainType("stateful"), "x")));
        Assert.Contains("does not implement", unrelated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grain_reached_by_its_full_id_is_the_same_grain()
    {
        var byKey = fixture.Client.GetGrain<ICallGrain>("same");
        await byKey.Record("x");
        var byId = fixture.Client.GetGrain<ICallGrain>(byKey.GetGrainId());

        await Eventually.HoldsAsync(async () => (await byId.Recorded()).Count == 1, "the one-way call landed on the same activation");
        Assert.Equal(byKey, byId);
        Assert.Equal("call/same", byId.GetGrainId().ToString());
    }
}

public interface INotImplementedGrain : IGrainWithStringKey
{
    Task Nothing();
}
