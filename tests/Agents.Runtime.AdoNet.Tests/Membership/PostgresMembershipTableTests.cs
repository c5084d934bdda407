using Agents.AdoNet.Postgres.Membership;
using Agents.AdoNet.Tests.Postgres;
using Agents.Runtime.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Agents.AdoNet.Tests.Membership;

/// <summary>
/// What the PostgreSQL table promises beyond the shared contract: schema set-up, clusters sharing a
/// database, readable rows, bad rows. Each test has tables of its own (the base's unique name as the
/// table prefix) and disposes the tables it opens.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMembershipTableTests(PostgresServerFixture postgres) : PostgresStorageTestBase(postgres)
{
    private static readonly SiloAddress SiloA = new("10.0.0.1", 11_111, 1);

    private string Prefix => Table + "_";

    private string RowsTable => Prefix + "membership";

    private PostgresMembershipTable OpenTable(string clusterId = "main", Action<PostgresMembershipOptions>? configure = null)
    {
        var options = new PostgresMembershipOptions { ConnectionString = ConnectionString, ClusterId = clusterId, TablePrefix = Prefix };
        configure?.Invoke(options);
        return new PostgresMembershipTable(options, NullLogger<PostgresMembershipTable>.Instance);
    }

    private static async Task<VersionedEntry> InsertAsync(IMembershipTable table, MembershipEntry entry)
    {
        var read = await table.ReadAllAsync();
        Assert.True(await table.InsertRowAsync(entry, read.Version.Next()));
        return (await table.ReadRowAsync(entry.Silo)).Find(entry.Silo)!.Value;
    }

    [Fact]
    public async Task Tables_initializing_at_once_create_the_schema_once_and_each_cluster_starts_at_version_zero()
    {
        var tables = Enumerable.Range(0, 6).Select(i => OpenTable(clusterId: $"cluster-{i % 3}")).ToArray();
        try
        {
            await Task.WhenAll(tables.Select(t => Task.Run(() => t.InitializeAsync())));

            Assert.Equal(1, await ScalarAsync("SELECT version FROM agents_schema_version WHERE component = $1", $"membership:{RowsTable}"));
            Assert.Equal(3L, await ScalarAsync($"SELECT count(*) FROM {Prefix}membership_version WHERE version = 0"));
            foreach (var table in tables)
            {
                Assert.Equal(0, (await table.ReadAllAsync()).Version.Version);
            }

            // Tables of one cluster see each other's writes.
            await InsertAsync(tables[0], new MembershipEntry(SiloA, SiloStatus.Joining));
            Assert.NotNull((await tables[3].ReadAllAsync()).Find(SiloA));
        }
        finally
        {
            foreach (var table in tables)
            {
                await table.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Rows_of_two_clusters_in_one_database_never_see_each_other()
    {
        await using var blue = OpenTable("blue");
        await using var green = OpenTable("green");
        var blueRow = await InsertAsync(blue, new MembershipEntry(SiloA, SiloStatus.Dead) { SiloName = "blue" });
        var greenRow = await InsertAsync(green, new MembershipEntry(SiloA, SiloStatus.Dead) { SiloName = "green" });

        var blueView = await blue.ReadAllAsync();
        Assert.Equal("blue", Assert.Single(blueView.Entries).Entry.SiloName);
        Assert.Equal("green", (await green.ReadRowAsync(SiloA)).Find(SiloA)!.Value.Entry.SiloName);
        Assert.Equal(1, blueView.Version.Version);

        // A version, row ETag or heartbeat of one cluster is not the other's.
        Assert.False(await green.UpdateRowAsync(greenRow.Entry with { SiloName = "x" }, blueRow.ETag, blueView.Version.Next()));
        await blue.UpdateIAmAliveAsync(SiloA);
        Assert.Equal(greenRow.Entry.IAmAliveTime, (await green.ReadRowAsync(SiloA)).Find(SiloA)!.Value.Entry.IAmAliveTime);

        Assert.Equal(1, await green.DeleteDefunctEntriesAsync(DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Single((await blue.ReadAllAsync()).Entries);
    }

    [Fact]
    public async Task Of_silos_on_two_pools_inserting_different_rows_from_one_read_exactly_one_wins()
    {
        await using var first = OpenTable();
        await using var second = OpenTable();
        var read = await first.ReadAllAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() =>
            (i % 2 == 0 ? first : second).InsertRowAsync(new MembershipEntry(SiloA with { Port = 20_000 + i }, SiloStatus.Joining), read.Version.Next()))));

        Assert.Equal(1, results.Count(r => r));
        var after = await second.ReadAllAsync();
        Assert.Equal(1, after.Version.Version);
        Assert.Single(after.Entries);
    }

    [Fact]
    public async Task Versioned_updates_racing_heartbeats_all_land_without_deadlock()
    {
        await using var table = OpenTable();
        await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Active));
        using var stop = new CancellationTokenSource();
        var heartbeats = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await table.UpdateIAmAliveAsync(SiloA);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(voter => Task.Run(async () =>
        {
            while (true)
            {
                var snapshot = await table.ReadRowAsync(SiloA);
                var row = snapshot.Find(SiloA)!.Value;
                var vote = new SuspicionVote(SiloA with { Port = 30_000 + voter }, snapshot.ServerTime);
                if (await table.UpdateRowAsync(row.Entry with { Suspicions = row.Entry.Suspicions.Add(vote) }, row.ETag, snapshot.Version.Next()))
                {
                    return;
                }
            }
        })));
        await stop.CancelAsync();
        await heartbeats;

        var final = await table.ReadAllAsync();
        Assert.Equal(9, final.Version.Version);
        Assert.Equal(8, final.Find(SiloA)!.Value.Entry.Suspicions.Length);
    }

    [Theory]
    [InlineData("{\"suspecter\": \"10.0.0.2:1@1\"}", "expected a JSON array")]
    [InlineData("[{\"suspecter\": \"not an address\", \"time\": \"2026-01-02T03:04:05Z\"}]", "not a silo address")]
    [InlineData("[{\"suspecter\": \"10.0.0.2:1@1\", \"time\": \"yesterday\"}]", "vote 0")]
    [InlineData("[42]", "vote 0")]
    public async Task A_row_with_garbage_suspicions_fails_reads_naming_the_table_cluster_and_row(string suspicions, string problem)
    {
        await using var table = OpenTable("ops");
        await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Active));
        await ScalarAsync($"UPDATE {RowsTable} SET suspicions = $1::jsonb", suspicions);

        var ex = await Assert.ThrowsAsync<AgentsException>(() => table.ReadAllAsync());

        Assert.Contains($"'{RowsTable}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cluster 'ops'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(SiloA.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("suspicions", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.IsType<FormatException>(ex.InnerException);
        await Assert.ThrowsAsync<AgentsException>(() => table.ReadRowAsync(SiloA));
    }

    [Fact]
    public async Task A_row_with_an_unknown_status_fails_reads_naming_the_row()
    {
        await using var table = OpenTable();
        await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Active));
        await ScalarAsync($"UPDATE {RowsTable} SET status = 'Zombie'");

        var ex = await Assert.ThrowsAsync<AgentsException>(() => table.ReadAllAsync());

        Assert.Contains("'Zombie'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(SiloA.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_are_readable_with_sql()
    {
        await using var table = OpenTable();
        var vote = new SuspicionVote(new SiloAddress("10.0.0.2", 11_111, 7), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)));
        await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Active) { Suspicions = [vote] });

        Assert.Equal("Active", await ScalarAsync($"SELECT status FROM {RowsTable} WHERE address = '10.0.0.1' AND port = 11111"));
        Assert.Equal("10.0.0.2:11111@7", await ScalarAsync($"SELECT suspicions->0->>'suspecter' FROM {RowsTable}"));
        Assert.Equal(vote.Time, Assert.Single((await table.ReadRowAsync(SiloA)).Find(SiloA)!.Value.Entry.Suspicions).Time);
    }

    [Fact]
    public async Task Times_come_from_the_database_clock()
    {
        await using var table = OpenTable();
        await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Joining));
        await table.UpdateIAmAliveAsync(SiloA);

        var snapshot = await table.ReadAllAsync();
        var row = snapshot.Find(SiloA)!.Value.Entry;
        Assert.Equal(await ScalarAsync($"SELECT iamalive_time FROM {RowsTable}"), row.IAmAliveTime.UtcDateTime);
        Assert.True(snapshot.ServerTime >= row.IAmAliveTime);
        Assert.True(row.IAmAliveTime >= row.StartTime);
    }

    [Fact]
    public async Task An_update_from_an_older_read_never_moves_the_heartbeat_backwards()
    {
        await using var table = OpenTable();
        var read = await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Joining));
        await ScalarAsync($"UPDATE {RowsTable} SET iamalive_time = iamalive_time + interval '1 minute'");
        var heartbeat = (await table.ReadRowAsync(SiloA)).Find(SiloA)!.Value.Entry.IAmAliveTime;

        var version = (await table.ReadAllAsync()).Version;
        Assert.True(await table.UpdateRowAsync(read.Entry with { Status = SiloStatus.Active }, read.ETag, version.Next()));

        var after = (await table.ReadRowAsync(SiloA)).Find(SiloA)!.Value.Entry;
        Assert.Equal(SiloStatus.Active, after.Status);
        Assert.Equal(heartbeat, after.IAmAliveTime);
    }

    [Fact]
    public async Task An_update_of_a_row_deleted_since_the_read_changes_nothing()
    {
        await using var table = OpenTable();
        var dead = await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Dead));
        var read = await table.ReadAllAsync();
        Assert.Equal(1, await table.DeleteDefunctEntriesAsync(DateTimeOffset.UtcNow.AddDays(1)));

        Assert.False(await table.UpdateRowAsync(dead.Entry with { SiloName = "ghost" }, dead.ETag, read.Version.Next()));

        var after = await table.ReadAllAsync();
        Assert.Equal(read.Version, after.Version);
        Assert.Empty(after.Entries);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("not-an-etag")]
    public async Task ETags_the_table_never_issued_match_nothing(string etag)
    {
        await using var table = OpenTable();
        var row = await InsertAsync(table, new MembershipEntry(SiloA, SiloStatus.Joining));
        var read = await table.ReadAllAsync();

        Assert.False(await table.UpdateRowAsync(row.Entry, etag, read.Version.Next()));
        Assert.False(await table.UpdateRowAsync(row.Entry, row.ETag, read.Version.Next() with { ETag = etag }));
        Assert.False(await table.InsertRowAsync(new MembershipEntry(SiloA with { Generation = 2 }, SiloStatus.Joining), read.Version.Next() with { ETag = etag }));
        Assert.Equal(read.Version, (await table.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task A_schema_newer_than_this_build_is_refused_with_a_clear_error()
    {
        await using (var first = OpenTable())
        {
            await first.InitializeAsync();
        }

        await ScalarAsync("UPDATE agents_schema_version SET version = 99 WHERE component = $1", $"membership:{RowsTable}");
        await using var table = OpenTable();

        var ex = await Assert.ThrowsAsync<AgentsException>(() => table.ReadAllAsync());

        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
        Assert.Contains(RowsTable, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_fails_naming_the_host_but_not_the_password_and_is_retried()
    {
        var closedPort = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = 1, Username = "agents", Password = "s3cret-pw", Timeout = 2 };
        await using var table = OpenTable(configure: o => o.ConnectionString = closedPort.ConnectionString);

        var ex = await Assert.ThrowsAsync<AgentsException>(() => table.InitializeAsync());

        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cluster 'main'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", ex.ToString(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<AgentsException>(() => table.ReadAllAsync());
    }

    [Fact]
    public async Task A_disposed_table_refuses_calls()
    {
        var table = OpenTable();
        await table.InitializeAsync();
        await table.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => table.ReadAllAsync());
        await table.DisposeAsync();
    }
}
