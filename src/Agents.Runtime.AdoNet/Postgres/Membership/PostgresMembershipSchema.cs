using System.Data;
using Npgsql;

namespace Agents.AdoNet.Postgres.Membership;

/// <summary>
/// The membership tables and the SQL that touches them. <c>{prefix}membership_version</c> holds one
/// row per cluster (its table version and ETag); <c>{prefix}membership</c> one row per silo
/// incarnation, keyed by cluster, address, port and generation. The provider creates the schema
/// itself in one transaction under the same advisory lock as every Agents schema change, and records
/// its version in <see cref="PostgresGrainStorageSchema.VersionTable"/> (component
/// <c>membership:{schema.table}</c>), so any number of silos may start at once and a future
/// migration knows what it upgrades.
/// </summary>
internal sealed class PostgresMembershipSchema
{
    /// <summary>The schema version this code writes and understands.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The longest suffix added to the table prefix; it bounds the prefix's length.</summary>
    public const int LongestTableSuffixLength = 18; // "membership_version"

    /// <summary>The columns of a silo row, in the order <see cref="ReadAll"/> returns them after the version columns.</summary>
    private const string RowColumns =
        "m.address, m.port, m.generation, m.status, m.silo_name, m.role, m.gateway_port, m.start_time, m.iamalive_time, m.suspicions::text, m.etag";

    private const string RowKey = "cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4";

    private readonly string _schema;

    public PostgresMembershipSchema(string schema, string tablePrefix)
    {
        // Names are validated as lower-case identifiers; quoting is belt and braces.
        _schema = schema;
        var qualifier = string.IsNullOrEmpty(schema) ? string.Empty : $"\"{schema}\".";
        RowsTable = $"{tablePrefix}membership";
        VersionTable = $"{tablePrefix}membership_version";
        SchemaVersionTable = $"{qualifier}{PostgresGrainStorageSchema.VersionTable}";
        Component = $"membership:{(string.IsNullOrEmpty(schema) ? string.Empty : schema + ".")}{RowsTable}";
        var rows = $"{qualifier}\"{RowsTable}\"";
        var versions = $"{qualifier}\"{VersionTable}\"";

        CreateVersionTable = $"""
            CREATE TABLE IF NOT EXISTS {versions} (
                cluster_id text        NOT NULL PRIMARY KEY,
                version    bigint      NOT NULL CHECK (version >= 0),
                etag       uuid        NOT NULL,
                changed_at timestamptz NOT NULL DEFAULT now()
            )
            """;
        CreateRowsTable = $"""
            CREATE TABLE IF NOT EXISTS {rows} (
                cluster_id    text        NOT NULL REFERENCES {versions} (cluster_id) ON DELETE CASCADE,
                address       text        NOT NULL,
                port          integer     NOT NULL,
                generation    bigint      NOT NULL,
                status        text        NOT NULL,
                silo_name     text        NOT NULL,
                role          text        NOT NULL,
                gateway_port  integer     NOT NULL,
                start_time    timestamptz NOT NULL,
                iamalive_time timestamptz NOT NULL,
                suspicions    jsonb       NOT NULL DEFAULT '[]',
                etag          uuid        NOT NULL,
                PRIMARY KEY (cluster_id, address, port, generation)
            )
            """;

        EnsureCluster = $"INSERT INTO {versions} (cluster_id, version, etag) VALUES ($1, 0, $2) ON CONFLICT (cluster_id) DO NOTHING";

        // One statement, so one snapshot: the version and the rows as of one moment, with the
        // server's clock (now() is fixed for the statement's transaction).
        ReadAll = $"""
            SELECT v.version, v.etag, now(), {RowColumns}
            FROM {versions} v LEFT JOIN {rows} m ON m.cluster_id = v.cluster_id
            WHERE v.cluster_id = $1
            """;
        ReadRow = $"""
            SELECT v.version, v.etag, now(), {RowColumns}
            FROM {versions} v LEFT JOIN {rows} m
                ON m.cluster_id = v.cluster_id AND m.address = $2 AND m.port = $3 AND m.generation = $4
            WHERE v.cluster_id = $1
            """;

        // The first statement of every versioned write: the table-version CAS. It takes the version
        // row's lock, so versioned writers of one cluster run one at a time until they commit; a
        // writer that waited re-checks the WHERE clause against the winner's row and matches nothing.
        MoveVersion = $"""
            UPDATE {versions} SET version = $2, etag = $4, changed_at = now()
            WHERE cluster_id = $1 AND version = $2 - 1 AND etag = $3
            """;

        // Unset times ($9, $10 null) come from the server's clock.
        InsertRow = $"""
            INSERT INTO {rows} (cluster_id, address, port, generation, status, silo_name, role, gateway_port, start_time, iamalive_time, suspicions, etag)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, now()), COALESCE($10, now()), $11, $12)
            ON CONFLICT (cluster_id, address, port, generation) DO NOTHING
            """;

        // The heartbeat never moves backwards: a writer's copy of IAmAlive may predate a heartbeat
        // written since its read (heartbeats change no ETag, so its CAS still matches).
        UpdateRow = $"""
            UPDATE {rows} SET status = $5, silo_name = $6, role = $7, gateway_port = $8,
                start_time = COALESCE($9, start_time), iamalive_time = GREATEST(iamalive_time, $10), suspicions = $11, etag = $12
            WHERE {RowKey} AND etag = $13
            """;

        UpdateIAmAlive = $"UPDATE {rows} SET iamalive_time = now() WHERE {RowKey}";

        DeleteDefunct = $"DELETE FROM {rows} WHERE cluster_id = $1 AND status = $2 AND iamalive_time < $3";
    }

    public string RowsTable { get; }

    public string VersionTable { get; }

    /// <summary>The key of these tables' row in the schema-version table.</summary>
    public string Component { get; }

    public string SchemaVersionTable { get; }

    public string CreateVersionTable { get; }

    public string CreateRowsTable { get; }

    public string EnsureCluster { get; }

    public string ReadAll { get; }

    public string ReadRow { get; }

    public string MoveVersion { get; }

    public string InsertRow { get; }

    public string UpdateRow { get; }

    public string UpdateIAmAlive { get; }

    public string DeleteDefunct { get; }

    /// <summary>
    /// Creates or checks the tables on <paramref name="connection"/>, then adds the cluster's version
    /// row (version 0) if missing. Safe to run concurrently from any number of processes. Returns the
    /// schema version found before (0 for new tables).
    /// </summary>
    /// <exception cref="InvalidOperationException">The tables are newer than this build.</exception>
    public async Task<int> EnsureCreatedAsync(NpgsqlConnection connection, string clusterId, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

        // The lock is released by commit or rollback; waiting for it is bounded by the command timeout.
        // CREATE SCHEMA only when missing: IF NOT EXISTS still needs the CREATE privilege on the database.
        var prepare = new List<(string Sql, object[] Parameters)> { ("SELECT pg_advisory_xact_lock($1)", [PostgresGrainStorageSchema.SchemaLockKey]) };
        if (!string.IsNullOrEmpty(_schema))
        {
            prepare.Add(($"DO $$ BEGIN IF to_regnamespace('{_schema}') IS NULL THEN CREATE SCHEMA \"{_schema}\"; END IF; END $$", []));
        }

        prepare.Add(($"""
            CREATE TABLE IF NOT EXISTS {SchemaVersionTable} (
                component  text        NOT NULL PRIMARY KEY,
                version    integer     NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, []));
        prepare.Add(($"SELECT version FROM {SchemaVersionTable} WHERE component = $1", [Component]));
        var stored = await RunAsync(prepare).ConfigureAwait(false);
        var storedVersion = stored is int v ? v : 0;
        if (storedVersion > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"Table '{RowsTable}' has schema version {storedVersion}, newer than this build understands ({CurrentVersion}); upgrade the silo.");
        }

        // Version 1 is the first schema: a future version adds its "if (storedVersion < 2)" steps here.
        await RunAsync(
        [
            (CreateVersionTable, []),
            (CreateRowsTable, []),
            ($"""
             INSERT INTO {SchemaVersionTable} (component, version) VALUES ($1, $2)
             ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = now()
                 WHERE {SchemaVersionTable}.version < excluded.version
             """, [Component, CurrentVersion]),
            (EnsureCluster, [clusterId, Guid.NewGuid()]),
        ]).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return storedVersion;

        // Sends the statements in one round trip; returns the first value the last one returned, if any.
        async Task<object?> RunAsync(List<(string Sql, object[] Parameters)> statements)
        {
            await using var batch = new NpgsqlBatch(connection, transaction) { Timeout = commandTimeoutSeconds };
            foreach (var (sql, parameters) in statements)
            {
                var command = new NpgsqlBatchCommand(sql);
                foreach (var parameter in parameters)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = parameter });
                }

                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            object? last;
            do
            {
                last = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetValue(0) : null;
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));

            return last;
        }
    }
}
