using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// The grain state table and the SQL that touches it. The provider creates the schema itself,
/// idempotently, in one transaction that first takes a cluster-wide advisory lock, so several silos
/// starting at once apply it one after the other (plain <c>CREATE TABLE IF NOT EXISTS</c> races
/// fail with a unique violation in the catalog). <c>agents_schema_version</c> records which version
/// of each component's schema a database holds; a future migration reads it, upgrades, and bumps it
/// in the same transaction.
/// </summary>
/// <remarks>
/// Semantics match the SQLite provider exactly (both pass one conformance suite): a cleared record
/// stays as a tombstone (payload NULL) and its version keeps increasing across clear and re-create,
/// so an ETag from before a clear never matches a record written after it (no ABA); reads treat a
/// tombstone as "no record". Every write statement is a single-row compare-and-swap that returns the
/// new version, or no row when the ETag did not match.
/// </remarks>
internal sealed class PostgresGrainStorageSchema
{
    /// <summary>The schema version this code writes and understands.</summary>
    public const int CurrentVersion = 1;

    public const string VersionTable = "agents_schema_version";

    /// <summary>The advisory lock key every Agents schema change takes ("AGENTS" in ASCII).</summary>
    public const long SchemaLockKey = 0x4147_454E_5453;

    public PostgresGrainStorageSchema(string tableName, PostgresStateFormat format)
    {
        // The table name is validated as a lower-case identifier; quoting is belt and braces.
        TableName = tableName;
        Format = format;
        Component = $"grain_state:{tableName}";
        PayloadType = format == PostgresStateFormat.Json ? NpgsqlDbType.Jsonb : NpgsqlDbType.Bytea;
        var t = $"\"{tableName}\"";
        var key = "grain_type = $1 AND grain_key = $2 AND state_name = $3";

        // fillfactor 90 leaves room on each page so a state update can stay on its page (a HOT
        // update: no index change), which is nearly every update since only payload and version change.
        CreateTable = $"""
            CREATE TABLE IF NOT EXISTS {t} (
                grain_type  text        NOT NULL,
                grain_key   text        NOT NULL,
                state_name  text        NOT NULL,
                version     bigint      NOT NULL CHECK (version > 0),
                payload     {PayloadColumnType} NULL,
                modified_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (grain_type, grain_key, state_name)
            ) WITH (fillfactor = 90)
            """;

        Read = $"SELECT version, payload FROM {t} WHERE {key}";

        // A null ETag: create the record, or revive a tombstone. A live record makes it a no-op (no
        // row returned), reported as a conflict. Under concurrent first writes ON CONFLICT arbitrates:
        // one INSERT wins, the others wait for it, then see a live row and return nothing.
        Insert = $"""
            INSERT INTO {t} AS s (grain_type, grain_key, state_name, version, payload, modified_at)
            VALUES ($1, $2, $3, 1, $4, now())
            ON CONFLICT (grain_type, grain_key, state_name) DO UPDATE
                SET version = s.version + 1, payload = excluded.payload, modified_at = excluded.modified_at
                WHERE s.payload IS NULL
            RETURNING version
            """;

        // READ COMMITTED re-checks the WHERE clause on the newest row version after waiting for a
        // concurrent writer, so of two updates holding the same ETag exactly one matches.
        Update = $"""
            UPDATE {t} SET version = version + 1, payload = $4, modified_at = now()
            WHERE {key} AND version = $5 AND payload IS NOT NULL
            RETURNING version
            """;

        Clear = $"""
            UPDATE {t} SET version = version + 1, payload = NULL, modified_at = now()
            WHERE {key} AND version = $4 AND payload IS NOT NULL
            RETURNING version
            """;

        // The stored ETag for a conflict report, or for a clear with a null ETag (which must find no live record).
        Probe = $"SELECT version FROM {t} WHERE {key} AND payload IS NOT NULL";
    }

    public string TableName { get; }

    public PostgresStateFormat Format { get; }

    /// <summary>The key of this table's row in the schema-version table.</summary>
    public string Component { get; }

    public NpgsqlDbType PayloadType { get; }

    public string CreateTable { get; }

    public string Read { get; }

    public string Insert { get; }

    public string Update { get; }

    public string Clear { get; }

    public string Probe { get; }

    private string PayloadColumnType => Format == PostgresStateFormat.Json ? "jsonb" : "bytea";

    /// <summary>
    /// Creates or checks the schema on <paramref name="connection"/>. Safe to run concurrently from
    /// any number of processes. Returns the schema version found before (0 for a new table).
    /// </summary>
    /// <exception cref="InvalidOperationException">The table is newer than this build, or stores the other format.</exception>
    public async Task<int> EnsureCreatedAsync(NpgsqlConnection connection, string formatKey, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Released by commit or rollback; waiting for it is bounded by the command timeout.
        await ExecuteAsync("SELECT pg_advisory_xact_lock($1)", [SchemaLockKey]).ConfigureAwait(false);
        await ExecuteAsync($"""
            CREATE TABLE IF NOT EXISTS {VersionTable} (
                component  text        NOT NULL PRIMARY KEY,
                version    integer     NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, []).ConfigureAwait(false);

        var stored = await ScalarAsync($"SELECT version FROM {VersionTable} WHERE component = $1", [Component]).ConfigureAwait(false);
        var storedVersion = stored is int v ? v : 0;
        if (storedVersion > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"Table '{TableName}' has schema version {storedVersion}, newer than this build understands ({CurrentVersion}); upgrade the silo.");
        }

        // Version 1 is the first schema, so there is nothing to migrate yet: a future version adds
        // "if (storedVersion < 2) { ALTER ... }" steps here, before the version row is bumped.
        await ExecuteAsync(CreateTable, []).ConfigureAwait(false);

        var column = await ScalarAsync(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'payload' AND NOT attisdropped",
            [$"\"{TableName}\""]).ConfigureAwait(false) as string;
        if (!string.Equals(column, PayloadColumnType, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Table '{TableName}' stores payloads as {column ?? "(no payload column)"}, but {formatKey} is {Format} ({PayloadColumnType}); " +
                $"use the format the table was created with, or another table name.");
        }

        await ExecuteAsync($"""
            INSERT INTO {VersionTable} (component, version) VALUES ($1, $2)
            ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = now()
                WHERE {VersionTable}.version < excluded.version
            """, [Component, CurrentVersion]).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return storedVersion;

        async Task ExecuteAsync(string sql, object[] parameters)
        {
            await using var command = Command(sql, parameters);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        async Task<object?> ScalarAsync(string sql, object[] parameters)
        {
            await using var command = Command(sql, parameters);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }

        NpgsqlCommand Command(string sql, object[] parameters)
        {
            var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = commandTimeoutSeconds };
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }

            return command;
        }
    }
}
