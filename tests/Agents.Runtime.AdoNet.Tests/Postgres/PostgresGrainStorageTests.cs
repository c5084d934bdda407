using System.Text;
using Agents.AdoNet.Postgres;
using Agents.AdoNet.Tests.Support;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>What PostgreSQL promises beyond the shared contract: schema, durability, formats, bad rows.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainStorageTests(PostgresServerFixture postgres) : PostgresStorageTestBase(postgres)
{
    [Fact]
    public async Task Schema_creation_is_idempotent_and_safe_when_providers_initialize_at_once()
    {
        var providers = Enumerable.Range(0, 4).Select(_ => Open()).ToArray();
        await Task.WhenAll(providers.Select(p => Task.Run(() => p.InitializeAsync())));
        await providers[0].InitializeAsync();
        await Open().InitializeAsync();

        var grainId = NewGrainId();
        var written = new GrainState<SampleState>(SampleState.Create("shared table"));
        await providers[0].WriteStateAsync(StateName, grainId, written);
        var read = new GrainState<SampleState>(new SampleState());
        await providers[3].ReadStateAsync(StateName, grainId, read);
        Assert.Equal("shared table", read.State.Name);

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM agents_schema_version WHERE component = $1", $"grain_state:{Table}"));
        Assert.Equal(1, await ScalarAsync("SELECT version FROM agents_schema_version WHERE component = $1", $"grain_state:{Table}"));
        Assert.Equal("jsonb", await ScalarAsync("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'payload'", Table));
    }

    [Fact]
    public async Task Schema_creation_is_safe_when_providers_on_separate_tables_initialize_at_once()
    {
        // Different tables, same version table: the advisory lock serializes the catalog changes.
        var tables = Enumerable.Range(0, 4).Select(i => $"{Table}_{i}").ToArray();
        var providers = tables.Select(t => Open(o => o.TableName = t)).ToArray();

        await Task.WhenAll(providers.Select(p => Task.Run(() => p.InitializeAsync())));

        foreach (var table in tables)
        {
            Assert.Equal(1, await ScalarAsync("SELECT version FROM agents_schema_version WHERE component = $1", $"grain_state:{table}"));
        }
    }

    [Fact]
    public async Task State_survives_disposing_and_recreating_the_provider()
    {
        var storage = Open();
        var written = Enumerable.Range(0, 25)
            .Select(i => (GrainId: NewGrainId(), State: new GrainState<SampleState>(SampleState.Create($"grain {i}"))))
            .ToArray();
        foreach (var (grainId, state) in written)
        {
            await storage.WriteStateAsync(StateName, grainId, state);
        }

        await storage.DisposeAsync();
        var recreated = Open();

        foreach (var (grainId, state) in written)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await recreated.ReadStateAsync(StateName, grainId, read);
            Assert.Equal(state.ETag, read.ETag);
            SampleState.AssertEqual(state.State, read.State);
        }

        // The version sequence continues rather than restarting.
        var (lastId, last) = written[^1];
        await recreated.WriteStateAsync(StateName, lastId, last);
        Assert.Equal("2", last.ETag);
    }

    [Fact]
    public async Task Dispose_commits_the_writes_still_queued()
    {
        var storage = Open();
        await storage.InitializeAsync();
        var pending = Enumerable.Range(0, 200)
            .Select(i => storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(SampleState.Create($"queued {i}"))))
            .ToArray();

        await storage.DisposeAsync();

        Assert.Equal(200L, await ScalarAsync($"SELECT count(*) FROM {Table} WHERE payload IS NOT NULL"));
        await Task.WhenAll(pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState())));
    }

    [Fact]
    public async Task The_providers_sessions_commit_synchronously_whatever_the_database_default()
    {
        var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        await ScalarAsync($"ALTER DATABASE \"{database}\" SET synchronous_commit = off");
        try
        {
            // A fresh session (database settings apply at session start) shows the default really is off.
            await using (var plain = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString))
            {
                await plain.OpenAsync();
                await using var show = new NpgsqlCommand("SHOW synchronous_commit", plain);
                Assert.Equal("off", await show.ExecuteScalarAsync());
            }

            await using (var connection = await Open().DataSource.OpenConnectionAsync())
            await using (var show = new NpgsqlCommand("SHOW synchronous_commit", connection))
            {
                Assert.Equal("on", await show.ExecuteScalarAsync());
            }

            // A value chosen in the connection string (e.g. for a synchronous standby) is left alone.
            var chosen = new NpgsqlConnectionStringBuilder(ConnectionString) { Options = "-c synchronous_commit=remote_apply" }.ConnectionString;
            await using (var connection = await Open(o => o.ConnectionString = chosen).DataSource.OpenConnectionAsync())
            await using (var show = new NpgsqlCommand("SHOW synchronous_commit", connection))
            {
                Assert.Equal("remote_apply", await show.ExecuteScalarAsync());
            }
        }
        finally
        {
            await ScalarAsync($"ALTER DATABASE \"{database}\" RESET synchronous_commit");
        }
    }

    [Fact]
    public async Task The_json_payload_is_readable_and_queryable_with_sql()
    {
        var storage = Open();
        var grainId = NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("readable")));

        var where = $"FROM {Table} WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3";
        object[] key = [grainId.Type.Value, grainId.Key, StateName];
        Assert.Equal("jsonb", await ScalarAsync($"SELECT pg_typeof(payload)::text {where}", key));
        Assert.Equal("readable", await ScalarAsync($"SELECT payload->>'name' {where}", key));
        Assert.Equal("Planner", await ScalarAsync($"SELECT payload->>'kind' {where}", key));
        Assert.Equal("héllo <ünïcode> \"quoted\"", await ScalarAsync($"SELECT payload->'nested'->>'label' {where}", key));
        Assert.Equal("[3, 1, 4, 1, 5]", await ScalarAsync($"SELECT (payload->'numbers')::text {where}", key));
        Assert.Equal(1L, await ScalarAsync($"SELECT version {where}", key));
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM {Table} WHERE payload @> '{{\"name\": \"readable\"}}'"));
    }

    [Fact]
    public async Task The_binary_format_stores_the_serializers_bytes_as_bytea_and_round_trips()
    {
        var storage = Open(o => o.Format = PostgresStateFormat.Binary);
        var grainId = NewGrainId();
        var original = SampleState.Create("binary");
        var written = new GrainState<SampleState>(original);
        await storage.WriteStateAsync(StateName, grainId, written);

        var read = new GrainState<SampleState>(new SampleState());
        await Open(o => o.Format = PostgresStateFormat.Binary).ReadStateAsync(StateName, grainId, read);
        Assert.Equal(written.ETag, read.ETag);
        SampleState.AssertEqual(original, read.State);

        Assert.Equal("bytea", await ScalarAsync($"SELECT pg_typeof(payload)::text FROM {Table} WHERE grain_key = $1", grainId.Key));
        var stored = (byte[])(await ScalarAsync($"SELECT payload FROM {Table} WHERE grain_key = $1", grainId.Key))!;
        Assert.Equal(JsonGrainStateSerializer.Default.Serialize(original).ToArray(), stored);
    }

    [Fact]
    public async Task A_table_created_in_one_format_is_refused_under_the_other_naming_the_key()
    {
        await Open().InitializeAsync();

        var ex = await Assert.ThrowsAsync<AgentsException>(() => Open(o => o.Format = PostgresStateFormat.Binary).InitializeAsync());

        Assert.Contains("Agents:Storage:Default:Format", ex.Message, StringComparison.Ordinal);
        Assert.Contains("jsonb", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Table, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_row_raises_GrainStateException_and_other_grains_still_work()
    {
        var logger = new RecordingLogger<PostgresGrainStorage>();
        var storage = Open(logger: logger);
        var healthy = NewGrainId();
        await storage.WriteStateAsync(StateName, healthy, new GrainState<SampleState>(SampleState.Create("healthy")));

        // Valid JSON, wrong shape: what a hand edit or another program's row looks like.
        var corrupt = NewGrainId();
        await ScalarAsync(
            $"INSERT INTO {Table} (grain_type, grain_key, state_name, version, payload) VALUES ($1, $2, $3, 3, '{{\"counter\": \"not a number\"}}')",
            corrupt.Type.Value, corrupt.Key, StateName);

        var ex = await Assert.ThrowsAsync<GrainStateException>(() =>
            storage.ReadStateAsync(StateName, corrupt, new GrainState<SampleState>(new SampleState())));

        Assert.Contains(corrupt.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{StateName}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Table, ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(corrupt.ToString(), StringComparison.Ordinal));

        var read = new GrainState<SampleState>(new SampleState());
        await storage.ReadStateAsync(StateName, healthy, read);
        Assert.Equal("healthy", read.State.Name);

        // A writer holding the bad row's ETag can overwrite it, which is how an operator repairs it.
        await storage.WriteStateAsync(StateName, corrupt, new GrainState<SampleState>(SampleState.Create("repaired")) { ETag = "3" });
        await storage.ReadStateAsync(StateName, corrupt, read);
        Assert.Equal("repaired", read.State.Name);
    }

    [Fact]
    public async Task A_schema_newer_than_this_build_is_refused_with_a_clear_error()
    {
        await Open().InitializeAsync();
        await ScalarAsync("UPDATE agents_schema_version SET version = 99 WHERE component = $1", $"grain_state:{Table}");

        var ex = await Assert.ThrowsAsync<AgentsException>(() => Open().InitializeAsync());

        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_fails_start_up_naming_the_provider_and_host_but_not_the_password()
    {
        var closedPort = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = 1, Username = "agents", Password = "s3cret-pw", Timeout = 2 };
        var storage = Open(o => o.ConnectionString = closedPort.ConnectionString);

        var ex = await Assert.ThrowsAsync<AgentsException>(() => storage.InitializeAsync());

        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", ex.ToString(), StringComparison.Ordinal);

        // Not cached as a permanent failure: each call retries, and fails the same clear way.
        await Assert.ThrowsAsync<AgentsException>(() =>
            storage.ReadStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState())));
    }

    [Fact]
    public async Task A_payload_that_is_not_json_is_rejected_by_the_json_format()
    {
        var storage = Open(serializer: new Utf8TextSerializer());

        var ex = await Assert.ThrowsAsync<GrainStateException>(() =>
            storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<string>("plain text, not JSON")));

        Assert.Contains("not committed", ex.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(ex.InnerException);
    }

    [Fact]
    public void Invalid_options_are_rejected_by_the_constructor_naming_the_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new PostgresGrainStorage(
            "Default", new PostgresGrainStorageOptions(), JsonGrainStateSerializer.Default, NullLogger<PostgresGrainStorage>.Instance));

        Assert.Contains("Agents:Storage:Default:ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A serializer whose output is not JSON: fine for bytea, refused by jsonb.</summary>
    private sealed class Utf8TextSerializer : IGrainStateSerializer
    {
        public ReadOnlyMemory<byte> Serialize<T>(T state) => Encoding.UTF8.GetBytes(state?.ToString() ?? string.Empty);

        public T? Deserialize<T>(ReadOnlySpan<byte> data) => (T)(object)Encoding.UTF8.GetString(data);
    }
}
