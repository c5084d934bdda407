using Agents.AdoNet.Sqlite;
using Agents.AdoNet.Tests.Support;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Sqlite;

/// <summary>What SQLite promises beyond the shared contract: schema, durability, group commit, bad rows.</summary>
public sealed class SqliteGrainStorageTests : IAsyncLifetime
{
    private const string StateName = "state";
    private static readonly GrainType CounterType = new("counter");

    private readonly TempDirectory _directory = new();
    private readonly List<SqliteGrainStorage> _opened = [];

    private string DatabaseFile => _directory.File("agents.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var storage in _opened)
        {
            await storage.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    public async Task Schema_creation_is_idempotent_across_providers_and_restarts()
    {
        var first = Open();
        var second = Open();
        await Task.WhenAll(first.InitializeAsync(), second.InitializeAsync());
        await first.InitializeAsync();

        var grainId = NewGrainId();
        var written = new GrainState<SampleState>(SampleState.Create("shared file"));
        await first.WriteStateAsync(StateName, grainId, written);
        var read = new GrainState<SampleState>(new SampleState());
        await second.ReadStateAsync(StateName, grainId, read);
        Assert.Equal("shared file", read.State.Name);

        await first.DisposeAsync();
        await second.DisposeAsync();
        var restarted = Open();
        await restarted.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(written.ETag, read.ETag);

        using var raw = OpenRaw();
        Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM agents_schema_version;"));
        Assert.Equal(1L, Scalar(raw, "SELECT version FROM agents_schema_version WHERE component = 'grain_state:agents_grain_state';"));
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task State_survives_disposing_and_reopening_the_provider()
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
        var reopened = Open();

        foreach (var (grainId, state) in written)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await reopened.ReadStateAsync(StateName, grainId, read);
            Assert.Equal(state.ETag, read.ETag);
            SampleState.AssertEqual(state.State, read.State);
        }

        // The reopened provider continues the version sequence rather than restarting it.
        var (lastId, last) = written[^1];
        await reopened.WriteStateAsync(StateName, lastId, last);
        Assert.Equal("2", last.ETag);
    }

    [Fact]
    public async Task Dispose_commits_the_writes_still_queued()
    {
        var storage = Open();
        await storage.InitializeAsync();
        var writes = Enumerable.Range(0, 200)
            .Select(i => (GrainId: NewGrainId(), State: new GrainState<SampleState>(SampleState.Create($"queued {i}"))))
            .ToArray();
        var pending = writes.Select(w => storage.WriteStateAsync(StateName, w.GrainId, w.State)).ToArray();

        await storage.DisposeAsync();

        // Committed by the time DisposeAsync returned (the callers' continuations may still be queued).
        using (var raw = OpenRaw())
        {
            Assert.Equal(200L, Scalar(raw, "SELECT count(*) FROM agents_grain_state WHERE payload IS NOT NULL;"));
        }

        await Task.WhenAll(pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState())));

        var reopened = Open();
        foreach (var (grainId, state) in writes)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await reopened.ReadStateAsync(StateName, grainId, read);
            Assert.Equal(state.State.Name, read.State.Name);
        }
    }

    [Fact]
    public async Task A_corrupt_row_raises_GrainStateException_and_other_grains_still_work()
    {
        var logger = new RecordingLogger<SqliteGrainStorage>();
        var storage = Open(logger: logger);
        var healthy = NewGrainId();
        await storage.WriteStateAsync(StateName, healthy, new GrainState<SampleState>(SampleState.Create("healthy")));

        var corrupt = NewGrainId();
        using (var raw = OpenRaw())
        {
            using var insert = raw.CreateCommand();
            insert.CommandText = """
                INSERT INTO agents_grain_state (grain_type, grain_key, state_name, version, payload, modified_utc)
                VALUES (@type, @key, @name, 3, '{"name": "truncated', '2025-01-01T00:00:00.000Z');
                """;
            insert.Parameters.AddWithValue("@type", corrupt.Type.Value);
            insert.Parameters.AddWithValue("@key", corrupt.Key);
            insert.Parameters.AddWithValue("@name", StateName);
            insert.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<GrainStateException>(() =>
            storage.ReadStateAsync(StateName, corrupt, new GrainState<SampleState>(new SampleState())));

        Assert.Contains(corrupt.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{StateName}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("agents_grain_state", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(corrupt.ToString(), StringComparison.Ordinal));

        var read = new GrainState<SampleState>(new SampleState());
        await storage.ReadStateAsync(StateName, healthy, read);
        Assert.Equal("healthy", read.State.Name);

        // The bad row can still be overwritten by a writer that holds its ETag, which is how an operator repairs it.
        var repair = new GrainState<SampleState>(SampleState.Create("repaired")) { ETag = "3" };
        await storage.WriteStateAsync(StateName, corrupt, repair);
        await storage.ReadStateAsync(StateName, corrupt, read);
        Assert.Equal("repaired", read.State.Name);
    }

    [Fact]
    public async Task The_payload_is_stored_as_readable_json_text()
    {
        var storage = Open();
        var grainId = NewGrainId();
        await storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("readable")));

        using var raw = OpenRaw();
        using var select = raw.CreateCommand();
        select.CommandText = "SELECT typeof(payload), payload, version FROM agents_grain_state WHERE grain_key = @key;";
        select.Parameters.AddWithValue("@key", grainId.Key);
        using var reader = select.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("text", reader.GetString(0));
        var json = reader.GetString(1);
        Assert.Contains("\"name\":\"readable\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"Planner\"", json, StringComparison.Ordinal);
        Assert.Contains("héllo <ünïcode>", json, StringComparison.Ordinal);
        Assert.Contains("\"numbers\":[3,1,4,1,5]", json, StringComparison.Ordinal);
        Assert.Equal(1L, reader.GetInt64(2));
    }

    [Fact]
    public async Task Writes_queued_while_a_batch_commits_share_the_next_commit()
    {
        var logger = new RecordingLogger<SqliteGrainStorage>();
        var storage = Open(logger: logger);
        await storage.InitializeAsync();

        // Hold SQLite's write lock from outside: the writer's first batch waits for it, so every
        // write below is queued before any commit finishes. No sleeps, no timing assumptions.
        Task[] pending;
        using (var raw = OpenRaw())
        using (var blocker = raw.BeginTransaction(deferred: false))
        {
            pending = Enumerable.Range(0, 50)
                .Select(i => storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(SampleState.Create($"g{i}"))))
                .ToArray();
            Assert.All(pending, task => Assert.False(task.IsCompleted));
            blocker.Rollback();
        }

        await Task.WhenAll(pending);

        var batches = logger.Entries.Where(e => e.EventId.Id == 2101).ToArray();
        Assert.InRange(batches.Length, 1, 2);
        Assert.Equal(50, batches.Sum(b => (int)b.Values.Single(v => v.Key == "Count").Value!));
    }

    [Fact]
    public async Task Two_providers_on_one_file_race_fairly_for_a_first_write()
    {
        var left = Open();
        var right = Open();
        var grainId = NewGrainId();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            var storage = i % 2 == 0 ? left : right;
            try
            {
                await storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create($"c{i}")));
                return null;
            }
            catch (InconsistentStateException ex)
            {
                return ex;
            }
        })));

        Assert.Single(outcomes, o => o is null);
    }

    [Fact]
    public async Task A_cancelled_write_is_either_stored_or_reported_cancelled_never_both()
    {
        var storage = Open();
        await storage.InitializeAsync();
        var grainId = NewGrainId();
        using var cts = new CancellationTokenSource();

        Task write;
        using (var raw = OpenRaw())
        using (var blocker = raw.BeginTransaction(deferred: false))
        {
            write = storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("maybe")), cts.Token);
            await cts.CancelAsync();
            blocker.Rollback();
        }

        var cancelled = false;
        try
        {
            await write;
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }

        var read = new GrainState<SampleState>(new SampleState());
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.NotEqual(cancelled, read.RecordExists);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState()), cts.Token));
    }

    [Fact]
    public async Task Tables_on_one_file_are_independent()
    {
        var a = Open(configure: o => o.TableName = "state_a");
        var b = Open(configure: o => o.TableName = "state_b");
        var grainId = NewGrainId();

        await a.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("in a")));
        var read = new GrainState<SampleState>(new SampleState());
        await b.ReadStateAsync(StateName, grainId, read);

        Assert.False(read.RecordExists);
        using var raw = OpenRaw();
        Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM agents_schema_version WHERE component = 'grain_state:state_b';"));
    }

    [Fact]
    public async Task A_schema_newer_than_this_build_is_refused_with_a_clear_error()
    {
        await Open().InitializeAsync();
        using (var raw = OpenRaw())
        {
            Scalar(raw, "UPDATE agents_schema_version SET version = 99;");
        }

        var ex = await Assert.ThrowsAsync<AgentsException>(() => Open().InitializeAsync());

        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_fails_start_up_naming_the_file_and_later_calls_fail_too()
    {
        await File.WriteAllTextAsync(DatabaseFile, new string('x', 4096));
        var storage = Open();

        var ex = await Assert.ThrowsAsync<AgentsException>(() => storage.InitializeAsync());
        Assert.Contains(DatabaseFile, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Default'", ex.Message, StringComparison.Ordinal);

        // Not cached as a permanent failure: each call retries, and fails the same clear way.
        await Assert.ThrowsAsync<AgentsException>(() =>
            storage.ReadStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState())));
    }

    [Fact]
    public void Invalid_options_are_rejected_by_the_constructor_naming_the_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new SqliteGrainStorage(
            "Default", new SqliteGrainStorageOptions(), JsonGrainStateSerializer.Default, NullLogger<SqliteGrainStorage>.Instance));

        Assert.Contains("Agents:Storage:Default:DataSource", ex.Message, StringComparison.Ordinal);
    }

    private SqliteGrainStorage Open(ILogger<SqliteGrainStorage>? logger = null, Action<SqliteGrainStorageOptions>? configure = null)
    {
        var options = new SqliteGrainStorageOptions { DataSource = DatabaseFile };
        configure?.Invoke(options);
        var storage = new SqliteGrainStorage("Default", options, JsonGrainStateSerializer.Default, logger ?? NullLogger<SqliteGrainStorage>.Instance);
        _opened.Add(storage);
        return storage;
    }

    private SqliteConnection OpenRaw()
    {
        SQLitePCL.Batteries_V2.Init();
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static GrainId NewGrainId() => GrainId.Create(CounterType, Guid.NewGuid());
}
