using Agents.AdoNet.Storage;
using Agents.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Sqlite;

/*
 * SQLite grain storage: the embedded, single-node default.
 *
 * Layout. One row per (grain_type, grain_key, state_name) in the configured table; payload is the
 * state as JSON text, version is the record's ETag. The provider creates (and will migrate) the
 * schema itself; see SqliteGrainStorageSchema.
 *
 * Atomicity. Every write and clear is one compare-and-swap statement on one row: the ETag check and
 * the change happen in the same statement, so no interleaving of writers, threads or processes can
 * slip between them. A mismatch changes nothing and raises InconsistentStateException. Versions only
 * grow, across clears too (a cleared record stays as a tombstone), so a stale ETag can never match.
 *
 * Group commit. A single writer loop (SqliteGroupCommitWriter) owns the write connection and commits
 * everything queued by any grain in one transaction. Each write keeps its own outcome: its CAS either
 * changes its row or changes nothing, so one conflict neither rolls back nor blocks the others. A
 * caller's task completes only after the transaction holding its write has committed.
 *
 * Durability. WAL journal with synchronous=FULL: the WAL is synced to disk on every commit, so a
 * WriteStateAsync/ClearStateAsync that returned survives a process crash and a power loss (as far as
 * the disk honours fsync). Nothing is acknowledged before its commit.
 *
 * Reads. Pooled read connections run beside the writer (WAL readers never block on it) and see only
 * committed data. A row that cannot be decoded raises GrainStateException naming the grain, state,
 * provider and table; the process and all other grains carry on.
 *
 * Cancellation. A token that fires before the writer picks a write up cancels it (nothing stored);
 * once picked up, the write's real outcome is reported. Reads check the token before they start.
 */

/// <summary>
/// Grain storage in a SQLite database file. Writes from many grains are committed together (group
/// commit) with per-write ETag checks; a completed write is synced to disk. Dispose to drain pending
/// writes and release the file.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, IAsyncDisposable
{
    private readonly SqliteGrainStorageOptions _options;
    private readonly GrainStateCodec _codec;
    private readonly ILogger _logger;
    private readonly SqliteConnectionFactory _factory;
    private readonly SqliteGrainStorageSchema _schema;
    private readonly StorageErrors _errors;
    private readonly SqliteReaderPool _readers;
    private readonly StorageLifecycle _lifecycle;
    private SqliteGroupCommitWriter? _writer;

    /// <summary>Creates the provider; the database is opened by <see cref="InitializeAsync"/> or the first call.</summary>
    /// <param name="name">The provider's name, e.g. <c>Default</c>; it appears in errors and in the configuration key <c>Agents:Storage:&lt;name&gt;</c>.</param>
    /// <param name="options">Settings; validated here too, so a provider built by hand fails as early as a hosted one.</param>
    /// <param name="serializer">Encodes state; <see cref="JsonGrainStateSerializer.Default"/> keeps rows readable.</param>
    /// <param name="logger">Receives the provider's diagnostics.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public SqliteGrainStorage(string name, SqliteGrainStorageOptions options, IGrainStateSerializer serializer, ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(logger);

        var validation = new SqliteGrainStorageOptionsValidator($"Agents:Storage:{name}").Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(SqliteGrainStorageOptions), validation.Failures);
        }

        Name = name;
        _options = Snapshot(options);
        _logger = logger;
        _factory = new SqliteConnectionFactory(_options.DataSource, _options.BusyTimeout);
        _schema = new SqliteGrainStorageSchema(_options.TableName);
        _errors = new StorageErrors(name, "SQLite", _options.TableName, $"'{_factory.DataSource}'");
        _codec = new GrainStateCodec(serializer, _errors, (ex, grainId, stateName) => LogUnreadableState(_logger, ex, grainId, stateName, _schema.TableName));
        _lifecycle = new StorageLifecycle(Initialize, _errors.Disposed);
        _readers = new SqliteReaderPool(_factory, _schema.Read, maxIdle: Math.Max(4, Environment.ProcessorCount * 2));
    }

    /// <summary>The provider's name.</summary>
    public string Name { get; }

    /// <summary>The absolute path of the database file.</summary>
    public string DataSource => _factory.DataSource;

    /// <summary>The table holding grain state.</summary>
    public string TableName => _schema.TableName;

    /// <summary>
    /// Opens the database, switches it to WAL, creates or checks the schema and starts the writer.
    /// Idempotent and safe to call concurrently; a failed attempt is retried by the next call. The
    /// host calls it at start-up so a bad file fails the silo early; otherwise the first read or
    /// write does.
    /// </summary>
    /// <exception cref="AgentsException">The database could not be opened or its schema is unusable.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        _lifecycle.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken);

        var row = ReadRow(grainId, stateName, typeof(TState));
        _codec.Decode(grainId, stateName, grainState, row);
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var payload = _codec.Encode(grainId, stateName, grainState.State);
        var version = await SubmitAsync(new StateWrite(StateWriteKind.Write, grainId, stateName, grainState.ETag, payload), cancellationToken);
        GrainStateCodec.Written(grainState, version);
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await SubmitAsync(new StateWrite(StateWriteKind.Clear, grainId, stateName, grainState.ETag, payload: null), cancellationToken);
        GrainStateCodec.Cleared(grainState);
    }

    /// <summary>Stops accepting calls, commits the writes already queued, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!await _lifecycle.TryBeginDisposeAsync())
        {
            return;
        }

        if (_writer is { } writer)
        {
            await writer.DisposeAsync();
        }

        _readers.Dispose();
        LogDisposed(_logger, Name);
    }

    private Task Initialize()
    {
        SqliteConnection? connection = null;
        try
        {
            connection = _factory.OpenWriter();
            _schema.EnsureCreated(connection);
            _writer = new SqliteGroupCommitWriter(connection, _factory, _schema, _options, _errors, _logger);
            LogInitialized(_logger, Name, _schema.TableName, _factory.DataSource, SqliteGrainStorageSchema.CurrentVersion);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            connection?.Dispose();
            LogInitializationFailed(_logger, ex, Name, _schema.TableName, _factory.DataSource);
            throw new AgentsException($"The {_errors.Provider} could not prepare {_errors.Location}: {ex.Message}", ex);
        }
    }

    private Task EnsureInitializedAsync(CancellationToken cancellationToken) => _lifecycle.EnsureInitializedAsync(cancellationToken);

    private async Task<long> SubmitAsync(StateWrite write, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken);
        ThrowIfDisposed();
        write.RegisterCancellation(cancellationToken);
        await _writer!.EnqueueAsync(write, cancellationToken);
        return await write.Completion;
    }

    private StoredRow? ReadRow(GrainId grainId, string stateName, Type stateType)
    {
        SqliteReaderPool.Reader? reader = null;
        var broken = false;
        try
        {
            reader = _readers.Rent();
            reader.Type.Value = grainId.Type.Value;
            reader.Key.Value = grainId.Key;
            reader.Name.Value = stateName;
            using var data = reader.Command.ExecuteReader();
            if (!data.Read() || data.IsDBNull(1))
            {
                return null; // no record, or a cleared one (tombstone)
            }

            if (data.GetFieldType(0) != typeof(long))
            {
                LogUnreadableState(_logger, null, grainId, stateName, _schema.TableName);
                throw _errors.Corrupt(grainId, stateName, stateType, $"its version '{data.GetValue(0)}' is not an integer", inner: null);
            }

            return new StoredRow(data.GetInt64(0), (byte[])data.GetValue(1));
        }
        catch (SqliteException ex)
        {
            broken = true;
            throw _errors.ReadFailed(grainId, stateName, ex);
        }
        finally
        {
            if (reader is not null)
            {
                _readers.Return(reader, broken);
            }
        }
    }

    private void ValidateArguments<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        GrainStateCodec.ValidateArguments(stateName, grainId, grainState);
        ThrowIfDisposed();
    }

    private void ThrowIfDisposed() => _lifecycle.ThrowIfDisposed();

    private static SqliteGrainStorageOptions Snapshot(SqliteGrainStorageOptions options) => new()
    {
        DataSource = options.DataSource,
        TableName = options.TableName,
        MaxBatchSize = options.MaxBatchSize,
        MaxQueuedWrites = options.MaxQueuedWrites,
        BusyTimeout = options.BusyTimeout,
    };

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "SQLite storage {Name} ready: table {TableName} in {DataSource}, schema version {SchemaVersion}")]
    private static partial void LogInitialized(ILogger logger, string name, string tableName, string dataSource, int schemaVersion);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "SQLite storage {Name} could not prepare table {TableName} in {DataSource}")]
    private static partial void LogInitializationFailed(ILogger logger, Exception exception, string name, string tableName, string dataSource);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "State {StateName} of grain {GrainId} in table {TableName} is unreadable; the grain cannot activate until the row is fixed or cleared")]
    private static partial void LogUnreadableState(ILogger logger, Exception? exception, GrainId grainId, string stateName, string tableName);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "SQLite storage {Name} closed")]
    private static partial void LogDisposed(ILogger logger, string name);
}
