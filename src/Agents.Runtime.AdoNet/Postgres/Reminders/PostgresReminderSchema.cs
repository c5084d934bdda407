namespace Agents.AdoNet.Postgres.Reminders;

/// <summary>
/// The reminder table and the SQL that touches it: <c>{prefix}reminders</c>, one row per (cluster,
/// grain, reminder name), with the grain's ring position (<c>grain_hash</c>, the unsigned hash mapped
/// order-preserving onto bigint) indexed per cluster for the owners' range reads. Created and migrated
/// by <see cref="PostgresSchemaSetup"/> (component <c>reminders:{schema.table}</c>).
/// </summary>
internal sealed class PostgresReminderSchema
{
    /// <summary>The schema version this code writes and understands.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The longest suffix added to the table prefix: "reminders_by_hash" (the index).</summary>
    public const int LongestTableSuffixLength = 17;

    private const string Columns = "grain_id, reminder_name, start_at, period, etag";

    private const string Key = "cluster_id = $1 AND grain_id = $2 AND reminder_name = $3";

    private readonly string _schema;

    public PostgresReminderSchema(string schema, string tablePrefix)
    {
        // Names are validated as lower-case identifiers; quoting is belt and braces.
        _schema = schema;
        var qualifier = string.IsNullOrEmpty(schema) ? string.Empty : $"\"{schema}\".";
        TableName = $"{tablePrefix}reminders";
        SchemaVersionTable = $"{qualifier}{PostgresGrainStorageSchema.VersionTable}";
        Component = $"reminders:{(string.IsNullOrEmpty(schema) ? string.Empty : schema + ".")}{TableName}";
        var t = $"{qualifier}\"{TableName}\"";

        CreateTable = $"""
            CREATE TABLE IF NOT EXISTS {t} (
                cluster_id    text        NOT NULL,
                grain_id      text        NOT NULL,
                reminder_name text        NOT NULL,
                grain_hash    bigint      NOT NULL,
                start_at      timestamptz NOT NULL,
                period        interval    NOT NULL CHECK (period > interval '0'),
                etag          uuid        NOT NULL,
                modified_at   timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (cluster_id, grain_id, reminder_name)
            )
            """;
        CreateIndex = $"CREATE INDEX IF NOT EXISTS \"{tablePrefix}reminders_by_hash\" ON {t} (cluster_id, grain_hash)";

        ReadRow = $"SELECT {Columns} FROM {t} WHERE {Key}";
        ReadGrain = $"SELECT {Columns} FROM {t} WHERE cluster_id = $1 AND grain_id = $2 ORDER BY reminder_name COLLATE \"C\"";

        // The ranges arrive merged (disjoint), so the join yields each row once; each range is an index range scan.
        ReadRanges = $"""
            SELECT r.grain_id, r.reminder_name, r.start_at, r.period, r.etag
            FROM unnest($2::bigint[], $3::bigint[]) AS g(lo, hi)
            JOIN {t} r ON r.cluster_id = $1 AND r.grain_hash BETWEEN g.lo AND g.hi
            """;

        // One statement: concurrent upserts of a row serialize on it, and the last one's values and ETag stay.
        Upsert = $"""
            INSERT INTO {t} (cluster_id, grain_id, reminder_name, grain_hash, start_at, period, etag)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (cluster_id, grain_id, reminder_name) DO UPDATE
                SET grain_hash = excluded.grain_hash, start_at = excluded.start_at, period = excluded.period,
                    etag = excluded.etag, modified_at = now()
            """;

        Remove = $"DELETE FROM {t} WHERE {Key} AND etag = $4";
    }

    public string TableName { get; }

    /// <summary>The key of this table's row in the schema-version table.</summary>
    public string Component { get; }

    public string SchemaVersionTable { get; }

    public string CreateTable { get; }

    public string CreateIndex { get; }

    public string ReadRow { get; }

    public string ReadGrain { get; }

    public string ReadRanges { get; }

    public string Upsert { get; }

    public string Remove { get; }

    /// <summary>Creates or checks the table; see <see cref="PostgresSchemaSetup"/>. Returns the version found before.</summary>
    public Task<int> EnsureCreatedAsync(Npgsql.NpgsqlConnection connection, int commandTimeoutSeconds, CancellationToken cancellationToken) =>
        // Version 1 is the first schema: a future version adds its steps for "stored < 2" here.
        PostgresSchemaSetup.EnsureAsync(
            connection, _schema, SchemaVersionTable, Component, TableName, CurrentVersion,
            _ => [(CreateTable, []), (CreateIndex, [])],
            commandTimeoutSeconds, cancellationToken);
}
