namespace Agents.Runtime.Membership;

/// <summary>
/// The cluster's membership table: one row per silo incarnation, plus a table version that orders
/// every change. Providers: in-memory (one process, tests) and PostgreSQL.
///
/// <para><b>Atomicity.</b> <see cref="InsertRowAsync"/> and <see cref="UpdateRowAsync"/> are each one
/// atomic compare-and-swap over <em>two</em> things: the table version and (for updates) the row's
/// ETag. Either both checks pass and both the row and the version change, or nothing changes and the
/// call returns false. The version moves to exactly the <see cref="TableVersion"/> given, which must
/// be the read version's <see cref="TableVersion.Next"/>; so of N writers racing from the same read,
/// exactly one succeeds, and a writer must re-read before trying again.</para>
///
/// <para><b>Clock.</b> <see cref="UpdateIAmAliveAsync"/> stamps the time from the table's own clock (the
/// database server's), so silos with skewed clocks still agree on who is stale. It changes neither
/// the row's ETag nor the table version: heartbeats never contend with membership changes.</para>
///
/// <para><b>Reads.</b> <see cref="ReadAllAsync"/> and <see cref="ReadRowAsync"/> return the version and rows
/// as of one moment (a single transaction/snapshot), with the table's clock at that moment in
/// <see cref="MembershipSnapshot.ServerTime"/>.</para>
/// </summary>
public interface IMembershipTable
{
    /// <summary>Creates the schema and the cluster's version row if missing. Idempotent; safe when several silos start at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>The table version and every row of this cluster.</summary>
    Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>The table version and the row of <paramref name="silo"/> (no rows if it has none).</summary>
    Task<MembershipSnapshot> ReadRowAsync(SiloAddress silo, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts <paramref name="entry"/> if no row for its silo exists and the table is still at
    /// the version before <paramref name="nextVersion"/> (matching its ETag); moves the table to
    /// <paramref name="nextVersion"/>. Returns false, changing nothing, otherwise.
    /// </summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion nextVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the row of <c>entry.Silo</c> if its ETag is still <paramref name="etag"/> and the table
    /// is still at the version before <paramref name="nextVersion"/>; moves the table to
    /// <paramref name="nextVersion"/>. Returns false, changing nothing, otherwise.
    /// </summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion nextVersion, CancellationToken cancellationToken = default);

    /// <summary>Sets the row's IAmAlive time to the table's current time. Not versioned.</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, CancellationToken cancellationToken = default);

    /// <summary>Deletes rows of Dead silos whose IAmAlive time is older than <paramref name="cutoff"/>. Not versioned.</summary>
    Task<int> DeleteDefunctEntriesAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}
