using Agents.Runtime.GrainDirectory;

namespace Agents.Runtime.Tests.GrainDirectory;

public sealed class ConsistentHashRingTests
{
    private static readonly GrainType Type = new("ring-test");

    private static SiloAddress Silo(int n) => new("10.0.0." + n.ToString(System.Globalization.CultureInfo.InvariantCulture), 11111, 42);

    private static GrainId[] Grains(int count) => Enumerable.Range(0, count).Select(i => GrainId.Create(Type, i)).ToArray();

    [Fact]
    public void The_stable_hash_is_a_fixed_function_of_the_text()
    {
        // Pinned values (computed independently of this code): the hash must never change between
        // processes, machines or versions, or silos would disagree on where grains live.
        Assert.Equal(0x82a2_a958_a9be_ce5bUL, StableHash.Of("a"));
        Assert.Equal(0xe675_2381_9edd_fd82UL, StableHash.Of(GrainId.Create(Type, 0)));
        Assert.Equal(0x9d55_ccb9_ba86_763bUL, StableHash.Of("é"));
        Assert.Equal(StableHash.Of(new string('x', 1000)), StableHash.Of(new string('x', 1000)));
    }

    [Fact]
    public void Every_silo_computes_the_same_owner_whatever_order_it_learned_the_silos_in()
    {
        var silos = Enumerable.Range(1, 5).Select(Silo).ToArray();
        var ring = new ConsistentHashRing(silos);
        var shuffled = new ConsistentHashRing(silos.Reverse());

        foreach (var grain in Grains(2_000))
        {
            Assert.Equal(ring.OwnerOf(grain), shuffled.OwnerOf(grain));
        }
    }

    [Fact]
    public void Each_of_three_silos_owns_close_to_a_third()
    {
        var ring = new ConsistentHashRing([Silo(1), Silo(2), Silo(3)]);

        var shares = Grains(30_000).GroupBy(ring.OwnerOf).ToDictionary(g => g.Key, g => g.Count() / 30_000.0);

        Assert.Equal(3, shares.Count);
        Assert.All(shares.Values, share => Assert.InRange(share, 0.22, 0.45));
    }

    [Fact]
    public void When_a_silo_leaves_only_its_grains_move()
    {
        var before = new ConsistentHashRing(Enumerable.Range(1, 4).Select(Silo));
        var after = new ConsistentHashRing(Enumerable.Range(1, 3).Select(Silo));

        foreach (var grain in Grains(5_000))
        {
            var owner = before.OwnerOf(grain);
            if (owner != Silo(4))
            {
                Assert.Equal(owner, after.OwnerOf(grain));
            }
        }
    }

    [Fact]
    public void When_a_silo_joins_grains_only_move_to_it()
    {
        var before = new ConsistentHashRing(Enumerable.Range(1, 3).Select(Silo));
        var after = new ConsistentHashRing(Enumerable.Range(1, 4).Select(Silo));

        var moved = 0;
        foreach (var grain in Grains(5_000))
        {
            var was = before.OwnerOf(grain);
            var now = after.OwnerOf(grain);
            if (was != now)
            {
                Assert.Equal(Silo(4), now);
                moved++;
            }
        }

        Assert.InRange(moved, 500, 2_000);
    }

    [Fact]
    public void A_restarted_silo_is_a_different_member()
    {
        var old = new SiloAddress("10.0.0.1", 11111, 1);
        var restarted = old with { Generation = 2 };

        var ring = new ConsistentHashRing([restarted, Silo(2)]);

        Assert.DoesNotContain(old, ring.Silos);
        Assert.All(Grains(100), g => Assert.NotEqual(old, ring.OwnerOf(g)));
    }

    [Fact]
    public void An_empty_ring_says_why_it_cannot_answer()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ConsistentHashRing([]).OwnerOf(GrainId.Create(Type, 1)));

        Assert.Contains("no silos", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void The_ranges_of_the_silos_are_disjoint_cover_every_hash_and_agree_with_the_owner(int count)
    {
        var silos = Enumerable.Range(0, count).Select(i => new SiloAddress("127.0.0.1", 11_111 + i, 1)).ToList();
        var ring = new ConsistentHashRing(silos);
        var ranges = silos.ToDictionary(s => s, ring.RangesOf);

        var all = ranges.Values.SelectMany(r => r).OrderBy(r => r.Start).ToList();
        Assert.Equal(0UL, all[0].Start);
        Assert.Equal(ulong.MaxValue, all[^1].End);
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].End + 1, all[i].Start); // no gap, no overlap
        }

        var random = new Random(42);
        foreach (var hash in Enumerable.Range(0, 2_000).Select(_ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2)).Concat([0UL, ulong.MaxValue]))
        {
            var owner = ring.OwnerOf(hash);
            Assert.Contains(ranges[owner], r => r.Contains(hash));
        }

        Assert.Empty(ring.RangesOf(new SiloAddress("127.0.0.1", 9, 1)));
    }
}
