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
    public Task<int> EnsureCreatedAsync(NpgsqlConnection connection, string clusterId, int commandTimeoutSeconds, CancellationToken cancellationToken) =>
        // Version 1 is the first schema: a future version adds its steps for "stored < 2" here.
        PostgresSchemaSetup.EnsureAsync(
            connection, _schema, SchemaVersionTable, Component, RowsTable, CurrentVersion,
            _ => [(CreateVersionTable, []), (CreateRowsTable, []), (EnsureCluster, [clusterId, Guid.NewGuid()])],
            commandTimeoutSeconds, cancellationToken);
}
