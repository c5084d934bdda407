using Agents.Runtime.GrainDirectory;

namespace Agents.Runtime.Tests.GrainDirectory;

public sealed class DirectoryPartitionTests
{
    private static readonly GrainType Type = new("directory-test");
    private static readonly SiloAddress SiloA = new("127.0.0.1", 1001, 1);
    private static readonly SiloAddress SiloB = new("127.0.0.1", 1002, 1);
    private static readonly SiloAddress SiloC = new("127.0.0.1", 1003, 1);

    private static GrainAddress Address(int key, SiloAddress silo) => new(GrainId.Create(Type, key), silo, Guid.NewGuid());

    private static bool AllLive(SiloAddress _) => true;

    [Fact]
    public void The_first_registration_wins_and_later_ones_get_the_winner()
    {
        var partition = new DirectoryPartition();
        var first = Address(1, SiloA);
        var second = first with { Silo = SiloB, ActivationId = Guid.NewGuid() };

        Assert.Equal(first, partition.TryRegister(first, AllLive));
        Assert.Equal(first, partition.TryRegister(second, AllLive));
        Assert.Equal(first, partition.Lookup(first.GrainId));
    }

    [Fact]
    public void Concurrent_registrations_of_one_grain_agree_on_a_single_winner()
    {
        var partition = new DirectoryPartition();
        var grain = GrainId.Create(Type, 7);

        var winners = Enumerable.Range(0, 100).AsParallel()
            .Select(i => partition.TryRegister(new GrainAddress(grain, i % 2 == 0 ? SiloA : SiloB, Guid.NewGuid()), AllLive))
            .Distinct()
            .ToList();

        Assert.Single(winners);
    }

    [Fact]
    public void An_entry_on_a_dead_silo_is_replaced_so_the_grain_reactivates_elsewhere()
    {
        var partition = new DirectoryPartition();
        var onDead = Address(2, SiloC);
        partition.TryRegister(onDead, AllLive);
        var replacement = onDead with { Silo = SiloA, ActivationId = Guid.NewGuid() };

        Assert.Equal(replacement, partition.TryRegister(replacement, silo => silo != SiloC));
    }

    [Fact]
    public void Only_the_activation_an_entry_names_can_remove_it()
    {
        var partition = new DirectoryPartition();
        var current = Address(3, SiloA);
        partition.TryRegister(current, AllLive);

        Assert.False(partition.Unregister(current with { ActivationId = Guid.NewGuid() }));
        Assert.Equal(current, partition.Lookup(current.GrainId));
        Assert.True(partition.Unregister(current));
        Assert.Null(partition.Lookup(current.GrainId));
    }

    [Fact]
    public void On_a_view_change_entries_move_to_their_new_owners_and_duplicates_are_reported()
    {
        var ringBefore = new ConsistentHashRing([SiloA]);
        var ringAfter = new ConsistentHashRing([SiloA, SiloB]);
        var onA = new DirectoryPartition();
        var onB = new DirectoryPartition();
        var addresses = Enumerable.Range(0, 200).Select(i => Address(i, SiloA)).ToList();
        addresses.ForEach(a => onA.TryRegister(a, AllLive));

        // Meanwhile one grain that now belongs to B was activated again on B (a duplicate).
        var moving = addresses.First(a => ringAfter.OwnerOf(a.GrainId) == SiloB);
        var duplicate = moving with { Silo = SiloB, ActivationId = Guid.NewGuid() };
        onB.TryRegister(duplicate, AllLive);

        var handedOver = onA.TakeNotOwned(ringAfter, SiloA);
        var losers = onB.Merge(handedOver, AllLive);

        Assert.All(handedOver, a => Assert.Equal(SiloB, ringAfter.OwnerOf(a.GrainId)));
        Assert.Equal(200, onA.Count + onB.Count);
        Assert.Equal([moving], losers);
        Assert.Equal(duplicate, onB.Lookup(moving.GrainId));
        Assert.Empty(onA.TakeNotOwned(ringAfter, SiloA));
        Assert.Empty(onA.TakeNotOwned(ringBefore, SiloA));
    }

    [Fact]
    public void Removing_a_dead_silo_drops_only_its_entries()
    {
        var partition = new DirectoryPartition();
        partition.TryRegister(Address(1, SiloA), AllLive);
        partition.TryRegister(Address(2, SiloB), AllLive);
        partition.TryRegister(Address(3, SiloB), AllLive);

        Assert.Equal(2, partition.RemoveSilo(SiloB));
        Assert.Equal(1, partition.Count);
    }
}
