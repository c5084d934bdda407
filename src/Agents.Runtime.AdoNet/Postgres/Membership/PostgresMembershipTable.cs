using System.Collections.Immutable;
using System.Data;
using Agents.Runtime.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres.Membership;

/*
 * PostgreSQL membership table: the cluster's shared record of which silos exist (IMembershipTable).
 *
 * Layout. {prefix}membership_version: one row per cluster id (version, etag). {prefix}membership:
 * one row per silo incarnation, keyed (cluster_id, address, port, generation), each with its own
 * etag. Several clusters share one database; every statement names its cluster id. ETags are random
 * UUIDs minted per change, so an ETag from before a row (or a whole cluster) was deleted and
 * re-created never matches again (no ABA, unlike a counter that restarts).
 *
 * Invariants, and why they hold:
 *  1. The version row and the silo rows change together or not at all. Insert and update are one
 *     READ COMMITTED transaction: first the version CAS (UPDATE ... WHERE version = next - 1 AND
 *     etag = read etag), then the row statement (INSERT ... ON CONFLICT DO NOTHING, or UPDATE ...
 *     WHERE etag = read row etag). If either matches nothing, the transaction rolls back and the
 *     call returns false.
 *  2. Of N writers racing from one read, exactly one wins. The version CAS locks the cluster's
 *     version row until commit, so versioned writers of a cluster run one at a time; one that waited
 *     re-evaluates its WHERE clause against the winner's committed row, finds another version, and
 *     matches nothing. The version moves to exactly next.Version, never by an increment.
 *  3. No deadlock. Versioned writers lock the version row, then one silo row; heartbeats and
 *     defunct-row deletes lock silo rows only and never wait for the version row.
 *  4. Heartbeats (UpdateIAmAlive) and DeleteDefunctEntries are single statements that touch neither
 *     ETags nor the version. A row deleted under a versioned update makes that update match nothing
 *     (invariant 1), so it returns false instead of moving the version alone. An update never moves
 *     IAmAlive backwards (GREATEST): the writer's copy may predate a heartbeat written since.
 *  5. Times come from the server's clock: now() stamps heartbeats, unset StartTime/IAmAlive on
 *     insert, and ServerTime. A read is one SELECT (version LEFT JOIN rows), so the version, the rows
 *     and ServerTime are one snapshot.
 *  6. Schema set-up runs under the Agents schema advisory lock (see PostgresMembershipSchema), so
 *     any number of silos may initialize at once. Every call first waits for initialization.
 *
 * Connections. One NpgsqlDataSource (pool) per table instance, disposed with it; sessions commit
 * synchronously (synchronous_commit=on unless the connection string chooses), so a completed write
 * survives a server crash: a silo declared Dead stays Dead. Errors name the table, cluster and
 * database, never the connection string (it holds a password).
 */

/// <summary>
/// The cluster membership table in PostgreSQL. Every silo of a cluster points at the same database
/// and <see cref="PostgresClusterTableOptions.ClusterId"/>. Dispose to close the connection pool.
/// </summary>
public sealed partial class PostgresMembershipTable : IMembershipTable, IAsyncDisposable
{
    private readonly PostgresMembershipSchema _schema;
    private readonly PostgresClusterTableCore _core;
    private readonly ILogger _logger;

    /// <summary>Creates the table; the database is contacted by <see cref="InitializeAsync"/> or the first call.</summary>
    /// <param name="options">Settings; validated here too, so a table built by hand fails as early as a hosted one.</param>
    /// <param name="logger">Receives the table's diagnostics.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public PostgresMembershipTable(PostgresMembershipOptions options, ILogger<PostgresMembershipTable> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        PostgresClusterTableCore.ThrowIfInvalid(options, new PostgresMembershipOptionsValidator());
        _logger = logger;
        _schema = new PostgresMembershipSchema(options.Schema, options.TablePrefix);
        _core = new PostgresClusterTableCore(
            options,
            "membership table",
            _schema.RowsTable,
            "agents membership",
            async (connection, timeout) =>
            {
                var previous = await _schema.EnsureCreatedAsync(connection, ClusterId, timeout, CancellationToken.None);
                LogInitialized(_logger, ClusterId, _schema.RowsTable, _core!.Database, previous, PostgresMembershipSchema.CurrentVersion);
            },
            ex => LogInitializationFailed(_logger, ex, ClusterId, _schema.RowsTable, _core!.Database));
    }

    /// <summary>The cluster whose rows this table reads and writes.</summary>
    public string ClusterId => _core.ClusterId;

    /// <summary>The table holding the silo rows.</summary>
    public string TableName => _schema.RowsTable;

    private string Location => _core.Location;

    /// <inheritdoc />
    /// <exception cref="AgentsException">The server could not be reached or the schema is unusable.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _core.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(_schema.ReadAll, silo: null, cancellationToken);

    /// <inheritdoc />
    public Task<MembershipSnapshot> ReadRowAsync(SiloAddress silo, CancellationToken cancellationToken = default) =>
        ReadAsync(_schema.ReadRow, silo, cancellationToken);

    /// <inheritdoc />
    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion nextVersion, CancellationToken cancellationToken = default) =>
        WriteAsync(entry, rowETag: null, nextVersion, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion nextVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(etag);
        return WriteAsync(entry, etag, nextVersion, cancellationToken);
    }

    /// <inheritdoc />
    public async Task UpdateIAmAliveAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken);
        await using var command = Command(_schema.UpdateIAmAlive);
        PostgresMembershipRowCodec.AddKey(command.Parameters, ClusterId, silo);
        await ExecuteAsync(command, $"writing the heartbeat of silo {silo}", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> DeleteDefunctEntriesAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken);
        await using var command = Command(_schema.DeleteDefunct);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = ClusterId });
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = nameof(SiloStatus.Dead) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = cutoff.ToUniversalTime() });
        var deleted = await ExecuteAsync(command, "deleting defunct rows", cancellationToken);
        if (deleted > 0)
        {
            LogDefunctDeleted(_logger, deleted, ClusterId, cutoff);
        }

        return deleted;
    }

    /// <summary>Stops accepting calls, waits for an initialization in flight, and closes the connection pool.</summary>
    public ValueTask DisposeAsync() => _core.DisposeAsync();

    private Task EnsureInitializedAsync(CancellationToken cancellationToken) => _core.EnsureInitializedAsync(cancellationToken);

    private async Task<MembershipSnapshot> ReadAsync(string sql, SiloAddress? silo, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken);
        try
        {
            await using var command = Command(sql);
            if (silo is { } key)
            {
                PostgresMembershipRowCodec.AddKey(command.Parameters, ClusterId, key);
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = ClusterId });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new AgentsException(
                    $"The membership version row of {Location} is missing (deleted by hand?); restart a silo to re-create it, which starts the cluster's table anew.");
            }

            var version = new TableVersion(reader.GetInt64(0), PostgresMembershipRowCodec.FormatETag(reader.GetGuid(1)));
            var serverTime = reader.GetFieldValue<DateTimeOffset>(2);
            var entries = ImmutableArray.CreateBuilder<VersionedEntry>();
            do
            {
                if (PostgresMembershipRowCodec.Decode(reader) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            while (await reader.ReadAsync(cancellationToken));

            // The same order as the in-memory table, so views compare equal across providers.
            entries.Sort(static (a, b) => string.CompareOrdinal(a.Entry.Silo.ToString(), b.Entry.Silo.ToString()));
            return new MembershipSnapshot(version, entries.DrainToImmutable()) { ServerTime = serverTime };
        }
        catch (FormatException ex)
        {
            LogUnreadableRow(_logger, ex, ClusterId, _schema.RowsTable);
            throw new AgentsException($"A membership row of {Location} is unreadable: {ex.Message}. Fix or delete the row.", ex);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentsException($"Reading the membership of {Location} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Insert (<paramref name="rowETag"/> null) or update: one transaction, see invariants 1 and 2.</summary>
    private async Task<bool> WriteAsync(MembershipEntry entry, string? rowETag, TableVersion nextVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!Enum.IsDefined(entry.Status))
        {
            throw new ArgumentOutOfRangeException(nameof(entry), entry.Status, "Not a silo status.");
        }

        await EnsureInitializedAsync(cancellationToken);
        var insert = rowETag is null;
        var versionETag = PostgresMembershipRowCodec.ParseETag(nextVersion.ETag);
        var expectedRowETag = PostgresMembershipRowCodec.ParseETag(rowETag);
        if (versionETag is null || (!insert && expectedRowETag is null))
        {
            return false; // not an ETag this table issued: it matches nothing
        }

        var committing = false;
        try
        {
            await using var connection = await _core.DataSource.OpenConnectionAsync(cancellationToken);
            // Explicit: under a stricter server default a waiting writer would fail with a serialization
            // error instead of re-checking its WHERE clause and returning false (invariant 2).
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

            await using var moveVersion = Command(_schema.MoveVersion, connection, transaction);
            moveVersion.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = ClusterId });
            moveVersion.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = nextVersion.Version });
            moveVersion.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = versionETag.Value });
            moveVersion.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = Guid.NewGuid() });

            await using var writeRow = Command(insert ? _schema.InsertRow : _schema.UpdateRow, connection, transaction);
            PostgresMembershipRowCodec.AddRow(writeRow.Parameters, ClusterId, entry, Guid.NewGuid());
            if (!insert)
            {
                writeRow.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = expectedRowETag!.Value });
            }

            if (await moveVersion.ExecuteNonQueryAsync(cancellationToken) != 1 || await writeRow.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return false;
            }

            committing = true;
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var outcome = committing
                ? "failed while committing, so it may or may not have been stored (read the table again before retrying)"
                : "failed and changed nothing";
            throw new AgentsException($"{(insert ? "Inserting" : "Updating")} the membership row of silo {entry.Silo} in {Location} {outcome}: {ex.Message}", ex);
        }
    }

    private Task<int> ExecuteAsync(NpgsqlCommand command, string action, CancellationToken cancellationToken) =>
        _core.ExecuteAsync(command, action, cancellationToken);

    private NpgsqlCommand Command(string sql) => _core.Command(sql);

    private NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction) => _core.Command(sql, connection, transaction);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Information, Message = "PostgreSQL membership of cluster {ClusterId} ready: table {TableName} in {Database}, schema version {PreviousVersion} -> {SchemaVersion}")]
    private static partial void LogInitialized(ILogger logger, string clusterId, string tableName, string database, int previousVersion, int schemaVersion);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Error, Message = "PostgreSQL membership of cluster {ClusterId} could not prepare table {TableName} in {Database}")]
    private static partial void LogInitializationFailed(ILogger logger, Exception exception, string clusterId, string tableName, string database);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Error, Message = "A membership row of cluster {ClusterId} in table {TableName} is unreadable; the cluster's view cannot be read until it is fixed or deleted")]
    private static partial void LogUnreadableRow(ILogger logger, Exception exception, string clusterId, string tableName);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Information, Message = "Deleted {Count} defunct membership rows of cluster {ClusterId} (Dead, heartbeat before {Cutoff})")]
    private static partial void LogDefunctDeleted(ILogger logger, int count, string clusterId, DateTimeOffset cutoff);
}
