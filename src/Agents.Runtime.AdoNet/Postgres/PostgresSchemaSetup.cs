using System.Data;
using Npgsql;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// Creates and migrates one component's tables (membership, reminders) the same way every time: in
/// one READ COMMITTED transaction that first takes the advisory lock every Agents schema change takes
/// (<see cref="PostgresGrainStorageSchema.SchemaLockKey"/>), creates the schema if missing, reads the
/// component's version from <see cref="PostgresGrainStorageSchema.VersionTable"/>, refuses tables
/// newer than this build, runs the steps for the version found, and records the current version.
/// Any number of silos may run it at once: they apply it one after another, and the later ones find
/// nothing to do.
/// </summary>
internal static class PostgresSchemaSetup
{
    /// <summary>Runs the set-up; returns the version found before (0 for new tables).</summary>
    /// <param name="connection">An open connection; the set-up runs in a transaction of its own on it.</param>
    /// <param name="schema">The PostgreSQL schema, or empty for the search path (validated as an identifier).</param>
    /// <param name="versionTable">The qualified schema-version table.</param>
    /// <param name="component">The component's key in the version table.</param>
    /// <param name="tableName">The component's main table, for the error message.</param>
    /// <param name="currentVersion">The schema version this build writes.</param>
    /// <param name="steps">The statements that bring tables of the given stored version to the current one (idempotent).</param>
    /// <param name="commandTimeoutSeconds">The bound on each round trip, the lock wait included.</param>
    /// <param name="cancellationToken">Abandons the set-up (the transaction rolls back).</param>
    /// <exception cref="InvalidOperationException">The tables are newer than this build.</exception>
    public static async Task<int> EnsureAsync(
        NpgsqlConnection connection,
        string schema,
        string versionTable,
        string component,
        string tableName,
        int currentVersion,
        Func<int, List<(string Sql, object[] Parameters)>> steps,
        int commandTimeoutSeconds,
        CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

        // The lock is released by commit or rollback; waiting for it is bounded by the command timeout.
        // CREATE SCHEMA only when missing: IF NOT EXISTS still needs the CREATE privilege on the database.
        var prepare = new List<(string Sql, object[] Parameters)> { ("SELECT pg_advisory_xact_lock($1)", [PostgresGrainStorageSchema.SchemaLockKey]) };
        if (!string.IsNullOrEmpty(schema))
        {
            prepare.Add(($"DO $$ BEGIN IF to_regnamespace('{schema}') IS NULL THEN CREATE SCHEMA \"{schema}\"; END IF; END $$", []));
        }

        prepare.Add(($"""
            CREATE TABLE IF NOT EXISTS {versionTable} (
                component  text        NOT NULL PRIMARY KEY,
                version    integer     NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, []));
        prepare.Add(($"SELECT version FROM {versionTable} WHERE component = $1", [component]));
        var stored = await RunAsync(prepare).ConfigureAwait(false);
        var storedVersion = stored is int v ? v : 0;
        if (storedVersion > currentVersion)
        {
            throw new InvalidOperationException(
                $"Table '{tableName}' has schema version {storedVersion}, newer than this build understands ({currentVersion}); upgrade the silo.");
        }

        var migrate = steps(storedVersion);
        migrate.Add(($"""
             INSERT INTO {versionTable} (component, version) VALUES ($1, $2)
             ON CONFLICT (component) DO UPDATE SET version = excluded.version, applied_at = now()
                 WHERE {versionTable}.version < excluded.version
             """, [component, currentVersion]));
        await RunAsync(migrate).ConfigureAwait(false);

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
