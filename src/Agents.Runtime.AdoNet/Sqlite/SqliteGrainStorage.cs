using System.Globalization;
using System.Runtime.InteropServices;
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
    private readonly IGrainStateSerializer _serializer;
    private readonly ILogger _logger;
    private readonly SqliteConnectionFactory _factory;
    private readonly SqliteGrainStorageSchema _schema;
    private readonly SqliteStorageErrors _errors;
    private readonly SqliteReaderPool _readers;
    private readonly Lock _initializationLock = new();
    private Task? _initialization;
    private SqliteGroupCommitWriter? _writer;
    private volatile bool _disposed;

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
        _serializer = serializer;
        _logger = logger;
        _factory = new SqliteConnectionFactory(_options.DataSource, _options.BusyTimeout);
        _schema = new SqliteGrainStorageSchema(_options.TableName);
        _errors = new SqliteStorageErrors(name, _options.TableName, _factory.DataSource);
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
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Task initialization;
        lock (_initializationLock)
        {
            // Checked under the lock DisposeAsync takes, so no writer can be started after disposal began.
            ThrowIfDisposed();
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = Task.Run(Initialize, CancellationToken.None);
            }

            initialization = _initialization;
        }

        return initialization.IsCompletedSuccessfully ? Task.CompletedTask : initialization.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken);

        var row = ReadRow(grainId, stateName, typeof(TState));
        if (row is not { } stored)
        {
            grainState.State = NewState<TState>.Create();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        TState? state;
        try
        {
            state = _serializer.Deserialize<TState>(stored.Payload);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogUnreadableState(_logger, ex, grainId, stateName, _schema.TableName);
            throw _errors.Corrupt(grainId, stateName, typeof(TState), $"the payload of version {stored.Version} does not decode ({ex.Message})", ex);
        }

        grainState.State = state ?? NewState<TState>.Create();
        grainState.ETag = stored.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var payload = Encode(grainId, stateName, grainState.State);
        var version = await SubmitAsync(new SqliteStateWrite(SqliteStateWriteKind.Write, grainId, stateName, grainState.ETag, payload), cancellationToken);
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await SubmitAsync(new SqliteStateWrite(SqliteStateWriteKind.Clear, grainId, stateName, grainState.ETag, payload: null), cancellationToken);
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>Stops accepting calls, commits the writes already queued, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? initialization;
        lock (_initializationLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            initialization = _initialization;
        }

        // An initialization in flight finishes first, so the writer it creates is drained and closed too.
        if (initialization is not null)
        {
            await initialization.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_writer is { } writer)
        {
            await writer.DisposeAsync();
        }

        _readers.Dispose();
        LogDisposed(_logger, Name);
    }

    private void Initialize()
    {
        SqliteConnection? connection = null;
        try
        {
            connection = _factory.OpenWriter();
            _schema.EnsureCreated(connection);
            _writer = new SqliteGroupCommitWriter(connection, _factory, _schema, _options, _errors, _logger);
            LogInitialized(_logger, Name, _schema.TableName, _factory.DataSource, SqliteGrainStorageSchema.CurrentVersion);
        }
        catch (Exception ex)
        {
            connection?.Dispose();
            LogInitializationFailed(_logger, ex, Name, _schema.TableName, _factory.DataSource);
            throw new AgentsException($"The {_errors.Provider} could not prepare {_errors.Location}: {ex.Message}", ex);
        }
    }

    private Task EnsureInitializedAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _initialization) is { IsCompletedSuccessfully: true } ? Task.CompletedTask : InitializeAsync(cancellationToken);

    private async Task<long> SubmitAsync(SqliteStateWrite write, CancellationToken cancellationToken)
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

    private byte[] Encode<TState>(GrainId grainId, string stateName, TState state)
    {
        ReadOnlyMemory<byte> encoded;
        try
        {
            encoded = _serializer.Serialize(state);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw _errors.EncodeFailed(grainId, stateName, typeof(TState), ex);
        }

        // The JSON serializer hands back a whole array; reuse it rather than copy.
        return MemoryMarshal.TryGetArray(encoded, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : encoded.ToArray();
    }

    private void ValidateArguments<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("A grain id is required.", nameof(grainId));
        }

        ThrowIfDisposed();
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw _errors.Disposed();
        }
    }

    private static SqliteGrainStorageOptions Snapshot(SqliteGrainStorageOptions options) => new()
    {
        DataSource = options.DataSource,
        TableName = options.TableName,
        MaxBatchSize = options.MaxBatchSize,
        MaxQueuedWrites = options.MaxQueuedWrites,
        BusyTimeout = options.BusyTimeout,
    };

    private readonly record struct StoredRow(long Version, byte[] Payload);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "SQLite storage {Name} ready: table {TableName} in {DataSource}, schema version {SchemaVersion}")]
    private static partial void LogInitialized(ILogger logger, string name, string tableName, string dataSource, int schemaVersion);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "SQLite storage {Name} could not prepare table {TableName} in {DataSource}")]
    private static partial void LogInitializationFailed(ILogger logger, Exception exception, string name, string tableName, string dataSource);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "State {StateName} of grain {GrainId} in table {TableName} is unreadable; the grain cannot activate until the row is fixed or cleared")]
    private static partial void LogUnreadableState(ILogger logger, Exception? exception, GrainId grainId, string stateName, string tableName);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "SQLite storage {Name} closed")]
    private static partial void LogDisposed(ILogger logger, string name);
}
