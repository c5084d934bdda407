using Agents.Runtime.Reminders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres.Reminders;

/*
 * PostgreSQL reminder table: the reminders of every silo of a cluster (IReminderTable).
 *
 * Invariants, and why they hold:
 *  1. One row per (cluster, grain, name): the primary key. An upsert is one INSERT ... ON CONFLICT DO
 *     UPDATE statement, so concurrent upserts of a row serialize on its lock and the last to commit
 *     leaves its values and ETag.
 *  2. ETags are random UUIDs minted per upsert: a row deleted and registered again never gets an
 *     ETag it had before, so a remove holding an old ETag matches nothing (no ABA).
 *  3. Range reads see each row at most once: the ranges are merged into disjoint ones before the
 *     query, and grain_hash is the unsigned ring hash mapped order-preserving onto bigint
 *     (HashRange.ToOrderedInt64), so BETWEEN on the mapped bounds selects exactly the hashes in range.
 *  4. Times are UTC timestamptz (microseconds) and periods intervals (microseconds); the registry
 *     writes whole microseconds, so a schedule reads back exactly as written.
 *  5. Schema set-up runs under the Agents schema advisory lock (PostgresSchemaSetup); every call
 *     first waits for initialization. Sessions commit synchronously (PostgresClusterTableCore), so a
 *     registration that returned survives a server crash. Errors name the table, cluster and
 *     database, never the connection string.
 */

/// <summary>The cluster's reminder table in PostgreSQL. Dispose to close its connection pool.</summary>
public sealed partial class PostgresReminderTable : IReminderTable, IAsyncDisposable
{
    private readonly PostgresReminderSchema _schema;
    private readonly PostgresClusterTableCore _core;
    private readonly ILogger _logger;

    /// <summary>Creates the table; the database is contacted by <see cref="InitializeAsync"/> or the first call.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public PostgresReminderTable(PostgresReminderOptions options, ILogger<PostgresReminderTable> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        PostgresClusterTableCore.ThrowIfInvalid(options, new PostgresReminderOptionsValidator());
        _logger = logger;
        _schema = new PostgresReminderSchema(options.Schema, options.TablePrefix);
        _core = new PostgresClusterTableCore(
            options,
            "reminder table",
            _schema.TableName,
            "agents reminders",
            async (connection, timeout) =>
            {
                var previous = await _schema.EnsureCreatedAsync(connection, timeout, CancellationToken.None);
                LogInitialized(_logger, ClusterId, _schema.TableName, _core!.Database, previous, PostgresReminderSchema.CurrentVersion);
            },
            ex => LogInitializationFailed(_logger, ex, ClusterId, _schema.TableName, _core!.Database));
    }

    /// <summary>The cluster whose reminders this table reads and writes.</summary>
    public string ClusterId => _core.ClusterId;

    /// <summary>The table holding the reminders.</summary>
    public string TableName => _schema.TableName;

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _core.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<ReminderEntry?> ReadRowAsync(GrainId grain, string reminderName, CancellationToken cancellationToken = default)
    {
        var rows = await ReadAsync(_schema.ReadRow, p => AddKey(p, grain, reminderName), $"reading reminder '{reminderName}' of {grain}", cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grain, CancellationToken cancellationToken = default) =>
        ReadAsync(_schema.ReadGrain, p =>
        {
            p.Add(Text(ClusterId));
            p.Add(Text(grain.ToString()));
        }, $"reading the reminders of {grain}", cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(IReadOnlyList<HashRange> ranges, CancellationToken cancellationToken = default)
    {
        var merged = HashRange.Merge(ranges);
        return ReadAsync(_schema.ReadRanges, p =>
        {
            p.Add(Text(ClusterId));
            p.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = [.. merged.Select(r => HashRange.ToOrderedInt64(r.Start))] });
            p.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = [.. merged.Select(r => HashRange.ToOrderedInt64(r.End))] });
        }, $"reading the reminders of {merged.Count} hash ranges", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entry.Validate();
        await _core.EnsureInitializedAsync(cancellationToken);
        var etag = Guid.NewGuid();
        await using var command = _core.Command(_schema.Upsert);
        AddKey(command.Parameters, entry.GrainId, entry.ReminderName);
        command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = HashRange.ToOrderedInt64(entry.GrainHash) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = entry.StartAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { NpgsqlDbType = NpgsqlDbType.Interval, TypedValue = entry.Period });
        command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = etag });
        await _core.ExecuteAsync(command, $"writing reminder '{entry.ReminderName}' of {entry.GrainId}", cancellationToken);
        return FormatETag(etag);
    }

    /// <inheritdoc />
    public async Task<bool> RemoveRowAsync(GrainId grain, string reminderName, string etag, CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParseExact(etag, "N", out var expected))
        {
            return false; // not an ETag this table issued: it matches nothing
        }

        await _core.EnsureInitializedAsync(cancellationToken);
        await using var command = _core.Command(_schema.Remove);
        AddKey(command.Parameters, grain, reminderName);
        command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = expected });
        return await _core.ExecuteAsync(command, $"removing reminder '{reminderName}' of {grain}", cancellationToken) == 1;
    }

    /// <summary>Stops accepting calls, waits for an initialization in flight, and closes the connection pool.</summary>
    public ValueTask DisposeAsync() => _core.DisposeAsync();

    private async Task<IReadOnlyList<ReminderEntry>> ReadAsync(string sql, Action<NpgsqlParameterCollection> parameters, string action, CancellationToken cancellationToken)
    {
        await _core.EnsureInitializedAsync(cancellationToken);
        try
        {
            await using var command = _core.Command(sql);
            parameters(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<ReminderEntry>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new ReminderEntry(GrainId.Parse(reader.GetString(0)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<TimeSpan>(3))
                {
                    ETag = FormatETag(reader.GetGuid(4)),
                });
            }

            return rows;
        }
        catch (FormatException ex)
        {
            LogUnreadableRow(_logger, ex, ClusterId, _schema.TableName);
            throw new AgentsException($"A reminder row of {_core.Location} is unreadable: {ex.Message}. Fix or delete the row.", ex);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw _core.Failed(action, ex);
        }
    }

    private void AddKey(NpgsqlParameterCollection parameters, GrainId grain, string reminderName)
    {
        parameters.Add(Text(ClusterId));
        parameters.Add(Text(grain.ToString()));
        parameters.Add(Text(reminderName));
    }

    private static NpgsqlParameter<string> Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = value };

    private static string FormatETag(Guid etag) => etag.ToString("N");

    [LoggerMessage(EventId = 2411, Level = LogLevel.Information, Message = "PostgreSQL reminders of cluster {ClusterId} ready: table {TableName} in {Database}, schema version {PreviousVersion} -> {SchemaVersion}")]
    private static partial void LogInitialized(ILogger logger, string clusterId, string tableName, string database, int previousVersion, int schemaVersion);

    [LoggerMessage(EventId = 2412, Level = LogLevel.Error, Message = "PostgreSQL reminders of cluster {ClusterId} could not prepare table {TableName} in {Database}")]
    private static partial void LogInitializationFailed(ILogger logger, Exception exception, string clusterId, string tableName, string database);

    [LoggerMessage(EventId = 2413, Level = LogLevel.Error, Message = "A reminder row of cluster {ClusterId} in table {TableName} is unreadable; the reminders of its range cannot be loaded until it is fixed or deleted")]
    private static partial void LogUnreadableRow(ILogger logger, Exception exception, string clusterId, string tableName);
}
