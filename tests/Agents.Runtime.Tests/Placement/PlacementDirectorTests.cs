using Agents.Runtime.Placement;

namespace Agents.Runtime.Tests.Placement;

public sealed class PlacementDirectorTests
{
    private static readonly GrainType Type = new("placement-test");

    private static readonly PlacementCandidate A = new(new SiloAddress("127.0.0.1", 1001, 1), "", 10);
    private static readonly PlacementCandidate B = new(new SiloAddress("127.0.0.1", 1002, 1), "gpu", 500);
    private static readonly PlacementCandidate C = new(new SiloAddress("127.0.0.1", 1003, 1), "gpu", 20);

    private static PlacementContext Context(int key, SiloAddress? local = null, params PlacementCandidate[] candidates) =>
        new(GrainId.Create(Type, key), local, candidates.Length == 0 ? [A, B, C] : candidates);

    [Fact]
    public void Prefer_local_picks_the_calling_silo_when_it_is_a_candidate_and_another_when_not()
    {
        var director = new PreferLocalPlacementDirector(new Random(1));

        Assert.Equal(B.Silo, director.PickSilo(Context(1, B.Silo)));
        var elsewhere = director.PickSilo(Context(1, new SiloAddress("127.0.0.1", 9999, 1)));
        Assert.Contains(elsewhere, new[] { A.Silo, B.Silo, C.Silo });
    }

    [Fact]
    public void Hash_based_placement_is_the_same_for_a_grain_whoever_decides_and_spreads_grains()
    {
        var director = new HashBasedPlacementDirector();

        for (var key = 0; key < 100; key++)
        {
            Assert.Equal(director.PickSilo(Context(key, A.Silo)), director.PickSilo(Context(key, C.Silo, C, B, A)));
        }

        Assert.Equal(3, Enumerable.Range(0, 300).Select(k => director.PickSilo(Context(k))).Distinct().Count());
    }

    [Fact]
    public void Activation_count_placement_prefers_the_less_loaded_of_two_and_never_picks_the_most_loaded_of_three()
    {
        var director = new ActivationCountPlacementDirector(new Random(7));

        var picks = Enumerable.Range(0, 3_000).Select(k => director.PickSilo(Context(k))).ToList();

        // B (500 activations) loses every pairing it is drawn into.
        Assert.DoesNotContain(B.Silo, picks);
        // A (10) wins both its pairings, C (20) only its pairing with B.
        Assert.True(picks.Count(p => p == A.Silo) > picks.Count(p => p == C.Silo));
        Assert.Equal(A.Silo, director.PickSilo(Context(1, null, A)));
    }

    [Fact]
    public void Random_placement_uses_every_candidate()
    {
        var director = new RandomPlacementDirector(new Random(3));

        Assert.Equal(3, Enumerable.Range(0, 300).Select(k => director.PickSilo(Context(k))).Distinct().Count());
    }

    [Fact]
    public void Role_placement_only_picks_silos_with_the_role_and_names_the_silos_when_none_has_it()
    {
        var director = new SiloRolePlacementDirector("gpu", new Random(5));

        var picks = Enumerable.Range(0, 200).Select(k => director.PickSilo(Context(k))).Distinct().ToList();
        Assert.Equal([C.Silo], picks);

        var error = Assert.Throws<SiloUnavailableException>(() => new SiloRolePlacementDirector("tpu").PickSilo(Context(1)));
        Assert.Contains("'tpu'", error.Message, StringComparison.Ordinal);
        Assert.Contains("1002@1 (gpu)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_candidate_is_a_clear_error()
    {
        var error = Assert.Throws<SiloUnavailableException>(() => new RandomPlacementDirector().PickSilo(new PlacementContext(GrainId.Create(Type, 1), null, [])));

        Assert.Contains("placement-test/1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_class_asks_for_its_placement_with_one_attribute_and_two_are_an_error()
    {
        Assert.IsType<ActivationCountPlacementDirector>(PlacementStrategy.For(typeof(PlainClass)));
        Assert.IsType<PreferLocalPlacementDirector>(PlacementStrategy.For(typeof(LocalClass)));
        Assert.Equal("gpu", Assert.IsType<SiloRolePlacementDirector>(PlacementStrategy.For(typeof(GpuClass))).Role);
        var error = Assert.Throws<InvalidOperationException>(() => PlacementStrategy.For(typeof(ConfusedClass)));
        Assert.Contains("[RandomPlacement], [HashBasedPlacement]", error.Message, StringComparison.Ordinal);
    }

    private sealed class PlainClass;

    [PreferLocalPlacement]
    private sealed class LocalClass;

    [SiloRoleBasedPlacement("gpu")]
    private sealed class GpuClass;

    [RandomPlacement]
    [HashBasedPlacement]
    private sealed class ConfusedClass;
}
