using Agents.Runtime.Testing.Postgres;
using Npgsql;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>The harness itself: a real server that accepts connections, hands out fresh databases, and leaves nothing behind.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTestServerTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task The_shared_server_runs_with_durable_settings_on_loopback()
    {
        if (postgres.Server.IsExternal)
        {
            return; // AGENTS_TEST_POSTGRES: a server configured by someone else
        }

        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();

        Assert.Equal("on", await ScalarAsync(connection, "SHOW fsync"));
        Assert.Equal("on", await ScalarAsync(connection, "SHOW synchronous_commit"));
        Assert.Equal("127.0.0.1", await ScalarAsync(connection, "SHOW listen_addresses"));
        Assert.StartsWith(postgres.Server.RootDirectory!, (string)(await ScalarAsync(connection, "SHOW unix_socket_directories"))!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_created_database_is_new_and_empty()
    {
        var first = await postgres.Server.CreateDatabaseAsync("Fresh Db");
        var second = await postgres.Server.CreateDatabaseAsync("Fresh Db");

        var firstName = new NpgsqlConnectionStringBuilder(first).Database!;
        Assert.NotEqual(firstName, new NpgsqlConnectionStringBuilder(second).Database);
        Assert.StartsWith("fresh_db_", firstName, StringComparison.Ordinal);

        await using var connection = new NpgsqlConnection(first);
        await connection.OpenAsync();
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public async Task A_server_of_its_own_stops_and_deletes_its_directory_on_dispose()
    {
        if (postgres.Server.IsExternal)
        {
            return; // AGENTS_TEST_POSTGRES: this machine may have no PostgreSQL binaries
        }

        var server = await PostgresTestServer.StartAsync(new PostgresTestServerOptions { UseEnvironmentVariable = false });
        var root = server.RootDirectory!;
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            Assert.Equal("agents_test", await ScalarAsync(connection, "SELECT current_database()"));
        }

        await server.DisposeAsync();

        Assert.False(Directory.Exists(root));
        var refused = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Timeout = 2, Pooling = false }.ConnectionString;
        await using var after = new NpgsqlConnection(refused);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => after.OpenAsync());
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
