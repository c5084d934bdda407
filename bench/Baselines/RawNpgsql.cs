using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Agents.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Agents.Bench.Baselines;

/// <summary>
/// The raw PostgreSQL baseline: what a careful hand-written writer does with Npgsql alone. Each
/// writer owns one open connection and one explicitly prepared statement, the same version-checked
/// UPDATE our provider sends for a write, run in autocommit: one round trip, one transaction and one
/// WAL flush per write, the new version read back from <c>RETURNING</c> and checked. Connections set
/// <c>synchronous_commit=on</c>, as the provider's do. Each write encodes the state with the same
/// JSON serializer, so both sides store the same bytes in a table of the same shape.
/// </summary>
internal static class RawNpgsql
{
    /// <summary>
    /// The provider's write statement (<c>PostgresGrainStorageSchema.Update</c>, internal to
    /// Agents.Runtime.AdoNet, hence repeated here): keep the two the same.
    /// </summary>
    public static string UpdateSql(string table) => $"""
        UPDATE "{table}" SET version = version + 1, payload = $4, modified_at = now()
        WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $5 AND payload IS NOT NULL
        RETURNING version
        """;

    /// <summary>
    /// Creates <paramref name="table"/> as a copy of <paramref name="template"/> (our provider's table):
    /// the same columns, types, defaults, constraints and primary key, and the same storage
    /// parameters (its fillfactor), so the comparison cannot drift from the provider's schema.
    /// </summary>
    public static async Task CreateLikeAsync(string connectionString, string table, string template)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var options = new NpgsqlCommand("SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = to_regclass($1)", connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = $"\"{template}\"" } },
        };
        var storage = await options.ExecuteScalarAsync() as string;
        var with = string.IsNullOrEmpty(storage) ? "" : $" WITH ({storage})";
        await using var create = new NpgsqlCommand($"CREATE TABLE \"{table}\" (LIKE \"{template}\" INCLUDING ALL){with}", connection);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// <paramref name="writers"/> concurrent writers, writer <c>i</c> updating row <c>firstKey + i</c>
    /// (created first, at version 1) back to back; writes per second and per-write latency.
    /// </summary>
    public static async Task<ThroughputFigures> WriteAsync(string label, string connectionString, string table, int firstKey, int writers, TimeSpan warmup, TimeSpan duration)
    {
        var sessions = new List<Writer>(writers);
        try
        {
            for (var i = 0; i < writers; i++)
            {
                sessions.Add(await Writer.OpenAsync(connectionString, table, firstKey + i));
            }

            return await Measure.TimedThroughputAsync(label, writers, async (w, loop) =>
            {
                var writer = sessions[w];
                var sequence = 0L;
                while (loop.Running)
                {
                    var started = Stopwatch.GetTimestamp();
                    await writer.WriteAsync(++sequence);
                    loop.Completed(started);
                }
            }, warmup, duration);
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    /// <summary>One writer: its connection, its prepared statement with reusable parameters, its row's state and version.</summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _update;
        private readonly NpgsqlParameter<byte[]> _payload;
        private readonly NpgsqlParameter<long> _expected;
        private readonly LedgerState _state = new();
        private readonly long _key;
        private long _version;

        private Writer(NpgsqlConnection connection, NpgsqlCommand update, NpgsqlParameter<byte[]> payload, NpgsqlParameter<long> expected, long key, long version)
        {
            _connection = connection;
            _update = update;
            _payload = payload;
            _expected = expected;
            _key = key;
            _version = version;
        }

        public static async Task<Writer> OpenAsync(string connectionString, string table, long key)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "agents bench raw npgsql" };
            if (builder.Options?.Contains("synchronous_commit", StringComparison.OrdinalIgnoreCase) != true)
            {
                builder.Options = $"{builder.Options} -c synchronous_commit=on".Trim();
            }

            var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            var keyText = key.ToString(CultureInfo.InvariantCulture);

            // The row exists before the run, at version 1, as our grain's row does after its first write.
            var state = new LedgerState();
            state.Advance(key, 0);
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO \"{table}\" (grain_type, grain_key, state_name, version, payload) VALUES ($1, $2, $3, 1, $4)", connection))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = StateWriterGrain.TypeName });
                insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = keyText });
                insert.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = StateWriterGrain.StateName });
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = Encode(state) });
                await insert.ExecuteNonQueryAsync();
            }

            var update = new NpgsqlCommand(UpdateSql(table), connection);
            update.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = StateWriterGrain.TypeName });
            update.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = keyText });
            update.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = StateWriterGrain.StateName });
            var payload = new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = [] };
            var expected = new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint };
            update.Parameters.Add(payload);
            update.Parameters.Add(expected);
            await update.PrepareAsync();
            return new Writer(connection, update, payload, expected, key, version: 1);
        }

        /// <summary>One write: encode, one round trip, check the version came back.</summary>
        public async Task WriteAsync(long sequence)
        {
            _state.Advance(_key, sequence);
            _payload.TypedValue = Encode(_state);
            _expected.TypedValue = _version;
            _version = await _update.ExecuteScalarAsync() is long version
                ? version
                : throw new InvalidOperationException($"Row {_key} was not at version {_version}: someone else wrote it.");
        }

        public async ValueTask DisposeAsync()
        {
            await _update.DisposeAsync();
            await _connection.DisposeAsync();
        }

        private static byte[] Encode(LedgerState state) => JsonSerializer.SerializeToUtf8Bytes(state, JsonGrainStateSerializer.Default.Options);
    }
}
