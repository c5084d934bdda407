using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// The grain state table and the SQL that touches it. The provider creates the schema itself,
/// idempotently, inside one immediate transaction so two providers starting on the same file
/// cannot interleave. <c>agents_schema_version</c> records which version of each component's
/// schema a file holds; a future migration reads it, upgrades, and bumps it in the same transaction.
/// </summary>
/// <remarks>
/// A cleared record is kept as a tombstone (payload NULL) rather than deleted, so its version keeps
/// increasing across clear and re-create: an activation holding an ETag from before the clear can
/// never match a record written after it (no ABA). Reads treat a tombstone as "no record".
/// </remarks>
internal sealed class SqliteGrainStorageSchema
{
    /// <summary>The schema version this code writes and understands.</summary>
    public const int CurrentVersion = 1;

    public const string VersionTable = "agents_schema_version";

    public SqliteGrainStorageSchema(string tableName)
    {
        // The table name is validated as an identifier by the options validator; quoting is belt and braces.
        TableName = tableName;
        var t = $"\"{tableName}\"";
        Component = $"grain_state:{tableName}";

        CreateTable = $"""
            CREATE TABLE IF NOT EXISTS {t} (
                grain_type   TEXT    NOT NULL,
                grain_key    TEXT    NOT NULL,
                state_name   TEXT    NOT NULL,
                version      INTEGER NOT NULL CHECK (typeof(version) = 'integer' AND version > 0),
                payload      TEXT    NULL,
                modified_utc TEXT    NOT NULL,
                PRIMARY KEY (grain_type, grain_key, state_name)
            );
            """;

        // The payload travels as UTF-8 bytes both ways; CAST keeps it TEXT in the file (readable
        // with the sqlite3 shell) without a UTF-16 string round trip in .NET.
        Read = $"""
            SELECT version, CAST(payload AS BLOB) FROM {t}
            WHERE grain_type = @type AND grain_key = @key AND state_name = @name;
            """;

        // A null ETag: create the record, or revive a tombstone; a live record makes it a no-op
        // (no row returned), which the writer reports as a conflict.
        Insert = $"""
            INSERT INTO {t} (grain_type, grain_key, state_name, version, payload, modified_utc)
            VALUES (@type, @key, @name, 1, CAST(@payload AS TEXT), {Now})
            ON CONFLICT (grain_type, grain_key, state_name) DO UPDATE
                SET version = version + 1, payload = excluded.payload, modified_utc = excluded.modified_utc
                WHERE payload IS NULL
            RETURNING version;
            """;

        Update = $"""
            UPDATE {t} SET version = version + 1, payload = CAST(@payload AS TEXT), modified_utc = {Now}
            WHERE grain_type = @type AND grain_key = @key AND state_name = @name
              AND version = @expected AND payload IS NOT NULL;
            """;

        Clear = $"""
            UPDATE {t} SET version = version + 1, payload = NULL, modified_utc = {Now}
            WHERE grain_type = @type AND grain_key = @key AND state_name = @name
              AND version = @expected AND payload IS NOT NULL;
            """;

        // The stored ETag for a conflict report, or for a clear with a null ETag (which must find no live record).
        Probe = $"""
            SELECT version FROM {t}
            WHERE grain_type = @type AND grain_key = @key AND state_name = @name AND payload IS NOT NULL;
            """;
    }

    // ISO 8601 with milliseconds, UTC: sorts as text and reads at a glance.
    private const string Now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public string TableName { get; }

    /// <summary>The key of this table's row in the schema-version table.</summary>
    public string Component { get; }

    public string CreateTable { get; }

    public string Read { get; }

    public string Insert { get; }

    public string Update { get; }

    public string Clear { get; }

    public string Probe { get; }

    /// <summary>Creates or checks the schema. Safe to run concurrently from several processes.</summary>
    public void EnsureCreated(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        SqliteConnectionFactory.Execute(connection, $"""
            CREATE TABLE IF NOT EXISTS {VersionTable} (
                component   TEXT    NOT NULL PRIMARY KEY,
                version     INTEGER NOT NULL,
                applied_utc TEXT    NOT NULL
            );
            """, transaction);

        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"SELECT version FROM {VersionTable} WHERE component = @component;";
            select.Parameters.AddWithValue("@component", Component);
            var stored = select.ExecuteScalar();
            var storedVersion = stored is null ? 0 : Convert.ToInt32(stored, CultureInfo.InvariantCulture);
            if (storedVersion > CurrentVersion)
            {
                throw new InvalidOperationException(
                    $"Table '{TableName}' has schema version {storedVersion}, newer than this build understands ({CurrentVersion}); upgrade the silo.");
            }
        }

        // Version 1 is the first schema, so there is nothing to migrate yet: a future version
        // adds "if (storedVersion < 2) { ALTER ... }" steps here, before the version row is bumped.
        SqliteConnectionFactory.Execute(connection, CreateTable, transaction);

        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = $"""
                INSERT INTO {VersionTable} (component, version, applied_utc) VALUES (@component, @version, {Now})
                ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_utc = excluded.applied_utc
                    WHERE version < excluded.version;
                """;
            upsert.Parameters.AddWithValue("@component", Component);
            upsert.Parameters.AddWithValue("@version", CurrentVersion);
            upsert.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
