using System.Data;
using System.Globalization;
using Agents.AdoNet.Storage;
using Agents.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres;

/*
 * PostgreSQL grain storage: the clustered store. Silos on many machines share one table.
 *
 * Layout. One row per (grain_type, grain_key, state_name); payload is the state as jsonb (readable
 * and queryable: payload->>'name') or bytea, fixed per table by Format; version is the record's ETag.
 * The provider creates (and will migrate) its schema itself, under an advisory lock, so any number of
 * silos may start at once; see PostgresGrainStorageSchema.
 *
 * Atomicity. Every write and clear is one compare-and-swap statement on one row: the ETag check and
 * the change are the same statement, and READ COMMITTED re-evaluates it against the newest row after
 * waiting for a concurrent writer, so no interleaving of writers, connections or silos can slip
 * between check and change. A first write (null ETag) is INSERT ... ON CONFLICT DO UPDATE ... WHERE
 * the row is a tombstone: of any number of concurrent first writes exactly one creates the row. A
 * mismatch changes nothing and raises InconsistentStateException. Versions only grow, across clears too
 * (a cleared record stays as a tombstone, exactly as in the SQLite provider), so a stale ETag never matches.
 *
 * Durability. A WriteStateAsync/ClearStateAsync that returned is committed, and its commit was flushed
 * to the WAL on disk: the provider's connections run with synchronous_commit=on (set in the startup
 * options, unless the connection string's Options choose a value themselves, e.g. remote_apply for a
 * synchronous standby). Nothing is acknowledged before its commit. A connection that breaks while a
 * batch is in flight leaves that batch's outcome unknown; its writes fail with a message saying so.
 *
 * Group commit. PostgresBatchWriter pipelines queued writes from all grains into one batch, one
 * transaction and one WAL flush, keeping each write's own CAS outcome; several batches commit at once
 * on separate pooled connections.
 *
 * Connections. One NpgsqlDataSource (a connection pool) per provider instance, shared by reads and
 * batches, disposed with the provider. Reads are single statements on pooled connections and see
 * committed data only. A row that cannot be decoded raises GrainStateException naming the grain,
 * state, provider and table; other grains carry on.
 *
 * Cancellation. A token that fires before a batch picks a write up cancels it (nothing stored); once
 * picked up, the write's real outcome is reported. Reads pass the token to the server.
 */

/// <summary>
/// Grain storage in a PostgreSQL table, as readable <c>jsonb</c> or as <c>bytea</c>. Writes from many
/// grains are group-committed with per-write ETag checks; a completed write is committed and flushed.
/// Dispose to drain pending writes and close the connection pool.
/// </summary>
public sealed partial class PostgresGrainStorage : IGrainStorage, IAsyncDisposable
{
    private readonly PostgresGrainStorageOptions _options;
    private readonly GrainStateCodec _codec;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresGrainStorageSchema _schema;
    private readonly StorageErrors _errors;
    private readonly string _database;
    private readonly int _commandTimeoutSeconds;
    private readonly StorageLifecycle _lifecycle;
    private PostgresBatchWriter? _writer;

    /// <summary>Creates the provider; the database is contacted by <see cref="InitializeAsync"/> or the first call.</summary>
    /// <param name="name">The provider's name, e.g. <c>Default</c>; it appears in errors and in the configuration key <c>Agents:Storage:&lt;name&gt;</c>.</param>
    /// <param name="options">Settings; validated here too, so a provider built by hand fails as early as a hosted one.</param>
    /// <param name="serializer">Encodes state; <see cref="JsonGrainStateSerializer.Default"/> keeps rows readable (required for <see cref="PostgresStateFormat.Json"/>).</param>
    /// <param name="logger">Receives the provider's diagnostics.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public PostgresGrainStorage(string name, PostgresGrainStorageOptions options, IGrainStateSerializer serializer, ILogger<PostgresGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(logger);

        var validation = new PostgresGrainStorageOptionsValidator($"Agents:Storage:{name}").Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(PostgresGrainStorageOptions), validation.Failures);
        }

        Name = name;
        _options = Snapshot(options);
        _logger = logger;
        _commandTimeoutSeconds = (int)Math.Ceiling(_options.CommandTimeout.TotalSeconds);
        _schema = new PostgresGrainStorageSchema(_options.TableName, _options.Format);

        var builder = new NpgsqlDataSourceBuilder(_options.ConnectionString);
        var connection = builder.ConnectionStringBuilder;
        connection.ApplicationName ??= $"agents storage {name}";
        if (connection.Options?.Contains("synchronous_commit", StringComparison.OrdinalIgnoreCase) != true)
        {
            // The durability promise must not depend on the server's default.
            connection.Options = $"{connection.Options} -c synchronous_commit=on".Trim();
        }

        if (connection.MaxAutoPrepare == 0)
        {
            // A handful of statements run all the time: prepare them once per connection.
            connection.MaxAutoPrepare = 16;
        }

        // Every batch rents a pooled connection. The provider never changes session state (no SET, no
        // temp tables, only transaction-scoped locks), so the reset Npgsql otherwise runs on each rental
        // would be pure overhead on the write path.
        connection.NoResetOnClose = true;

        _database = DescribeDatabase(connection);
        _errors = new StorageErrors(name, "PostgreSQL", _options.TableName, _database);
        _codec = new GrainStateCodec(serializer, _errors, (ex, grainId, stateName) => LogUnreadableState(_logger, ex, grainId, stateName, _schema.TableName));
        _dataSource = builder.Build();
        _lifecycle = new StorageLifecycle(InitializeCoreAsync, _errors.Disposed);
    }

    /// <summary>The provider's name.</summary>
    public string Name { get; }

    /// <summary>The table holding grain state.</summary>
    public string TableName => _schema.TableName;

    /// <summary>How payloads are stored.</summary>
    public PostgresStateFormat Format => _schema.Format;

    /// <summary>The provider's connection pool, with the session settings it enforces.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// Connects, creates or checks the schema and starts the writer. Idempotent and safe to call
    /// concurrently (and from several silos at once); a failed attempt is retried by the next call.
    /// The host calls it at start-up so an unreachable server or an incompatible table fails the silo
    /// early; otherwise the first read or write does.
    /// </summary>
    /// <exception cref="AgentsException">The server could not be reached or the schema is unusable.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        _lifecycle.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureInitializedAsync(cancellationToken);

        var row = await ReadRowAsync(grainId, stateName, cancellationToken);
        _codec.Decode(grainId, stateName, grainState, row);
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var payload = _codec.Encode(grainId, stateName, grainState.State);
        var version = await SubmitAsync(new PostgresStateWrite(StateWriteKind.Write, grainId, stateName, grainState.ETag, payload), cancellationToken);
        GrainStateCodec.Written(grainState, version);
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ValidateArguments(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        await SubmitAsync(new PostgresStateWrite(StateWriteKind.Clear, grainId, stateName, grainState.ETag, payload: null), cancellationToken);
        GrainStateCodec.Cleared(grainState);
    }

    /// <summary>Stops accepting calls, commits the writes already queued, then closes the connection pool.</summary>
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

        await _dataSource.DisposeAsync();
        LogDisposed(_logger, Name);
    }

    private async Task InitializeCoreAsync()
    {
        try
        {
            int previousVersion;
            await using (var connection = await _dataSource.OpenConnectionAsync())
            {
                previousVersion = await _schema.EnsureCreatedAsync(connection, $"Agents:Storage:{Name}:Format", _commandTimeoutSeconds, CancellationToken.None);
            }

            _writer = new PostgresBatchWriter(_dataSource, _schema, _options, _errors, _logger);
            LogInitialized(_logger, Name, _schema.TableName, _database, _schema.Format, previousVersion, PostgresGrainStorageSchema.CurrentVersion);
        }
        catch (Exception ex)
        {
            LogInitializationFailed(_logger, ex, Name, _schema.TableName, _database);
            throw new AgentsException($"The {_errors.Provider} could not prepare {_errors.Location}: {ex.Message}", ex);
        }
    }

    private Task EnsureInitializedAsync(CancellationToken cancellationToken) => _lifecycle.EnsureInitializedAsync(cancellationToken);

    private async Task<long> SubmitAsync(PostgresStateWrite write, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken);
        ThrowIfDisposed();
        write.RegisterCancellation(cancellationToken);
        await _writer!.EnqueueAsync(write, cancellationToken);
        return await write.Completion;
    }

    private async Task<StoredRow?> ReadRowAsync(GrainId grainId, string stateName, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = _dataSource.CreateCommand(_schema.Read);
                command.CommandTimeout = _commandTimeoutSeconds;
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId.Type.Value });
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = grainId.Key });
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = stateName });
                await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken);
                if (!await reader.ReadAsync(cancellationToken) || await reader.IsDBNullAsync(1, cancellationToken))
                {
                    return null; // no record, or a cleared one (tombstone)
                }

                return new StoredRow(reader.GetInt64(0), await reader.GetFieldValueAsync<byte[]>(1, cancellationToken));
            }
            catch (NpgsqlException ex) when (attempt == 1 && IsStaleConnection(ex) && !cancellationToken.IsCancellationRequested)
            {
                // A pooled connection the server dropped (a restart, a fail-over) fails on its first use.
                // A read is safe to repeat, so try once more on a fresh connection rather than fail an activation.
                LogReadRetried(_logger, ex, grainId, stateName);
                _dataSource.Clear();
            }
            catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw _errors.ReadFailed(grainId, stateName, ex);
            }
        }

        // Not a timeout: repeating one would only double the wait.
        static bool IsStaleConnection(NpgsqlException ex) =>
            ex is PostgresException { InvariantSeverity: "FATAL" } || (ex is not PostgresException && ex.IsTransient && ex.InnerException is not TimeoutException);
    }

    private void ValidateArguments<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        GrainStateCodec.ValidateArguments(stateName, grainId, grainState);
        ThrowIfDisposed();
    }

    private void ThrowIfDisposed() => _lifecycle.ThrowIfDisposed();

    /// <summary>Where the table lives, for messages and logs: host, port and database, never the connection string (it holds a password).</summary>
    private static string DescribeDatabase(NpgsqlConnectionStringBuilder builder) =>
        $"database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}";

    private static PostgresGrainStorageOptions Snapshot(PostgresGrainStorageOptions options) => new()
    {
        ConnectionString = options.ConnectionString,
        TableName = options.TableName,
        Format = options.Format,
        MaxBatchSize = options.MaxBatchSize,
        MaxConcurrentBatches = options.MaxConcurrentBatches,
        MaxQueuedWrites = options.MaxQueuedWrites,
        CommandTimeout = options.CommandTimeout,
    };

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "PostgreSQL storage {Name} ready: table {TableName} in {Database}, format {Format}, schema version {PreviousVersion} -> {SchemaVersion}")]
    private static partial void LogInitialized(ILogger logger, string name, string tableName, string database, PostgresStateFormat format, int previousVersion, int schemaVersion);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Error, Message = "PostgreSQL storage {Name} could not prepare table {TableName} in {Database}")]
    private static partial void LogInitializationFailed(ILogger logger, Exception exception, string name, string tableName, string database);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Error, Message = "State {StateName} of grain {GrainId} in table {TableName} is unreadable; the grain cannot activate until the row is fixed or cleared")]
    private static partial void LogUnreadableState(ILogger logger, Exception? exception, GrainId grainId, string stateName, string tableName);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Debug, Message = "PostgreSQL storage {Name} closed")]
    private static partial void LogDisposed(ILogger logger, string name);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Warning, Message = "Reading state {StateName} of grain {GrainId} hit a dropped connection; retrying once on a fresh one")]
    private static partial void LogReadRetried(ILogger logger, Exception exception, GrainId grainId, string stateName);
}
