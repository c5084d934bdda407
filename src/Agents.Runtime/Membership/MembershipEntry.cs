using System.Collections.Immutable;

namespace Agents.Runtime.Membership;

/// <summary>Where a silo is in its life, as the membership table records it.</summary>
public enum SiloStatus
{
    None = 0,

    /// <summary>Started, checking it can reach the active silos; takes no grains yet.</summary>
    Joining = 1,

    /// <summary>A full member: hosts grains, owns directory partitions.</summary>
    Active = 2,

    /// <summary>Leaving gracefully: deactivating its grains.</summary>
    ShuttingDown = 3,

    /// <summary>Gone, declared by itself (graceful stop) or by its peers' votes. Final.</summary>
    Dead = 4,
}

/// <summary>A vote by <paramref name="Suspecter"/> that a silo is dead, at the table's clock.</summary>
public readonly record struct SuspicionVote(SiloAddress Suspecter, DateTimeOffset Time);

/// <summary>One silo's row in the membership table.</summary>
public sealed record MembershipEntry(SiloAddress Silo, SiloStatus Status)
{
    public string SiloName { get; init; } = string.Empty;

    /// <summary>The silo's role, for role-based placement; empty for "any".</summary>
    public string Role { get; init; } = string.Empty;

    /// <summary>The port clients connect to, 0 if the silo is not a gateway.</summary>
    public int GatewayPort { get; init; }

    public DateTimeOffset StartTime { get; init; }

    /// <summary>The last heartbeat, at the table's clock (never the silo's own).</summary>
    public DateTimeOffset IAmAliveTime { get; init; }

    public ImmutableArray<SuspicionVote> Suspicions { get; init; } = [];
}

/// <summary>
/// The version of the whole table. Every versioned write names the version it read; the write
/// succeeds only if the table is still at that version, and moves it to the next one.
/// </summary>
/// <param name="Version">Monotonic; the next version is <c>Version + 1</c>.</param>
/// <param name="ETag">The provider's opaque concurrency token for the version row.</param>
public readonly record struct TableVersion(long Version, string ETag)
{
    public TableVersion Next() => this with { Version = Version + 1 };
}

/// <summary>A row and the ETag it had when read.</summary>
public readonly record struct VersionedEntry(MembershipEntry Entry, string ETag);

/// <summary>A consistent read of the table (or of one row): the table version and the rows at that version.</summary>
public sealed record MembershipSnapshot(TableVersion Version, ImmutableArray<VersionedEntry> Entries)
{
    /// <summary>The table's clock when it was read (the database server's time): what votes and staleness are measured against.</summary>
    public DateTimeOffset ServerTime { get; init; }

    public VersionedEntry? Find(SiloAddress silo)
    {
        foreach (var entry in Entries)
        {
            if (entry.Entry.Silo == silo)
            {
                return entry;
            }
        }

        return null;
    }
}
