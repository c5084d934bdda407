using System.Collections.Immutable;
using Agents.Runtime.Membership;

namespace Agents.Testing.Membership;

/// <summary>
/// The behaviour every <see cref="IMembershipTable"/> must show (see the contract on that interface).
/// A provider's test class derives from this and supplies a factory that returns a fresh, empty
/// table for the cluster under test; every case below runs against it.
/// </summary>
public abstract class MembershipTableConformanceTests(Func<Task<IMembershipTable>> tableFactory)
    : ProviderConformanceTests<IMembershipTable>(tableFactory, table => table.InitializeAsync())
{
    protected IMembershipTable Table => Provider;

    private static SiloAddress Silo(int port, long generation = 1) => new("127.0.0.1", port, generation);

    private static MembershipEntry Entry(SiloAddress silo, SiloStatus status = SiloStatus.Joining) =>
        new(silo, status) { SiloName = $"silo-{silo.Port}", Role = "worker", GatewayPort = silo.Port + 1000 };

    private async Task<VersionedEntry> InsertAsync(MembershipEntry entry)
    {
        var before = await Table.ReadAllAsync();
        Assert.True(await Table.InsertRowAsync(entry, before.Version.Next()));
        return (await Table.ReadRowAsync(entry.Silo)).Find(entry.Silo)!.Value;
    }

    [Fact]
    public async Task A_new_table_is_empty_at_version_zero_and_initializing_again_changes_nothing()
    {
        await Table.InitializeAsync();

        var snapshot = await Table.ReadAllAsync();

        Assert.Equal(0, snapshot.Version.Version);
        Assert.Empty(snapshot.Entries);
    }

    [Fact]
    public async Task An_inserted_row_reads_back_with_every_field_and_moves_the_version()
    {
        var silo = Silo(11_111);
        var entry = Entry(silo) with
        {
            Suspicions = [new SuspicionVote(Silo(22_222), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))],
        };

        var stored = await InsertAsync(entry);

        var snapshot = await Table.ReadAllAsync();
        Assert.Equal(1, snapshot.Version.Version);
        Assert.Equal(silo, stored.Entry.Silo);
        Assert.Equal(SiloStatus.Joining, stored.Entry.Status);
        Assert.Equal("silo-11111", stored.Entry.SiloName);
        Assert.Equal("worker", stored.Entry.Role);
        Assert.Equal(12_111, stored.Entry.GatewayPort);
        Assert.Equal<SuspicionVote>(entry.Suspicions, stored.Entry.Suspicions);
        Assert.NotEqual(default, stored.Entry.IAmAliveTime);
        Assert.NotEqual(default, stored.Entry.StartTime);
    }

    [Fact]
    public async Task An_insert_from_a_stale_version_or_of_an_existing_row_changes_nothing()
    {
        var first = await Table.ReadAllAsync();
        Assert.True(await Table.InsertRowAsync(Entry(Silo(1)), first.Version.Next()));

        Assert.False(await Table.InsertRowAsync(Entry(Silo(2)), first.Version.Next()));
        var current = await Table.ReadAllAsync();
        Assert.False(await Table.InsertRowAsync(Entry(Silo(1)), current.Version.Next()));

        var after = await Table.ReadAllAsync();
        Assert.Equal(1, after.Version.Version);
        Assert.Single(after.Entries);
    }

    [Fact]
    public async Task Of_twenty_concurrent_inserts_of_the_same_row_exactly_one_wins()
    {
        var read = await Table.ReadAllAsync();
        var entry = Entry(Silo(5_000));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Table.InsertRowAsync(entry, read.Version.Next()))));

        Assert.Equal(1, results.Count(r => r));
        var after = await Table.ReadAllAsync();
        Assert.Equal(1, after.Version.Version);
        Assert.Single(after.Entries);
    }

    [Fact]
    public async Task Nineteen_concurrent_version_checked_updates_all_land_and_end_at_version_twenty()
    {
        var silo = Silo(6_000);
        await InsertAsync(Entry(silo));

        async Task UpdateUntilItLands(int voter)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var snapshot = await Table.ReadRowAsync(silo);
                var row = snapshot.Find(silo)!.Value;
                var updated = row.Entry with { Suspicions = row.Entry.Suspicions.Add(new SuspicionVote(Silo(7_000 + voter), DateTimeOffset.UnixEpoch)) };
                if (await Table.UpdateRowAsync(updated, row.ETag, snapshot.Version.Next()))
                {
                    return;
                }
            }

            Assert.Fail($"voter {voter} never got its update in");
        }

        await Task.WhenAll(Enumerable.Range(0, 19).Select(v => Task.Run(() => UpdateUntilItLands(v))));

        var final = await Table.ReadAllAsync();
        Assert.Equal(20, final.Version.Version);
        Assert.Equal(19, final.Find(silo)!.Value.Entry.Suspicions.Length);
    }

    [Fact]
    public async Task An_update_with_a_stale_row_etag_or_table_version_changes_nothing()
    {
        var silo = Silo(8_000);
        var original = await InsertAsync(Entry(silo));
        var read = await Table.ReadAllAsync();
        Assert.True(await Table.UpdateRowAsync(original.Entry with { Status = SiloStatus.Active }, original.ETag, read.Version.Next()));

        var current = await Table.ReadAllAsync();
        Assert.False(await Table.UpdateRowAsync(original.Entry with { Status = SiloStatus.Dead }, original.ETag, current.Version.Next()));
        var fresh = current.Find(silo)!.Value;
        Assert.False(await Table.UpdateRowAsync(fresh.Entry with { Status = SiloStatus.Dead }, fresh.ETag, read.Version.Next()));

        var after = await Table.ReadAllAsync();
        Assert.Equal(SiloStatus.Active, after.Find(silo)!.Value.Entry.Status);
        Assert.Equal(current.Version.Version, after.Version.Version);
    }

    [Fact]
    public async Task IAmAlive_moves_the_heartbeat_but_not_the_etag_or_the_version()
    {
        var silo = Silo(9_000);
        var before = await InsertAsync(Entry(silo));
        var versionBefore = (await Table.ReadAllAsync()).Version;
        await Task.Delay(20);

        await Table.UpdateIAmAliveAsync(silo);

        var after = await Table.ReadAllAsync();
        var row = after.Find(silo)!.Value;
        Assert.True(row.Entry.IAmAliveTime > before.Entry.IAmAliveTime);
        Assert.Equal(before.ETag, row.ETag);
        Assert.Equal(versionBefore, after.Version);
    }

    [Fact]
    public async Task Only_dead_rows_older_than_the_cutoff_are_deleted()
    {
        var dead = await InsertAsync(Entry(Silo(10_001), SiloStatus.Dead));
        var active = await InsertAsync(Entry(Silo(10_002), SiloStatus.Active));
        var cutoff = dead.Entry.IAmAliveTime.AddSeconds(1);
        var freshDead = Entry(Silo(10_003), SiloStatus.Dead) with { IAmAliveTime = cutoff.AddMinutes(5) };
        var read = await Table.ReadAllAsync();
        Assert.True(await Table.InsertRowAsync(freshDead, read.Version.Next()));

        var deleted = await Table.DeleteDefunctEntriesAsync(cutoff);

        var after = await Table.ReadAllAsync();
        Assert.Equal(1, deleted);
        Assert.Null(after.Find(dead.Entry.Silo));
        Assert.NotNull(after.Find(active.Entry.Silo));
        Assert.NotNull(after.Find(freshDead.Silo));
    }

    [Fact]
    public async Task A_restarted_silo_on_the_same_endpoint_is_a_separate_row()
    {
        await InsertAsync(Entry(Silo(12_000, generation: 1), SiloStatus.Dead));

        var second = await InsertAsync(Entry(Silo(12_000, generation: 2)));

        var all = await Table.ReadAllAsync();
        Assert.Equal(2, all.Entries.Length);
        Assert.Equal(2, second.Entry.Silo.Generation);
        Assert.Single((await Table.ReadRowAsync(Silo(12_000, generation: 2))).Entries);
    }
}
