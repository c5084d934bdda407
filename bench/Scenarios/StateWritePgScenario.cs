using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Agents.AdoNet.Postgres;
using Agents.Bench.Baselines;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing.Postgres;
using Agents.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Agents.Bench.Scenarios;

/// <summary>
/// Durable grain state writes through our PostgreSQL provider, as a user sees them: a grain call
/// through the in-process client whose method changes the state and awaits <c>WriteStateAsync</c>
/// (the provider's defaults: group commit through its batch writer, synchronous_commit=on). The raw
/// baseline is Npgsql alone doing the same version-checked UPDATE on a table of the same shape, one
/// round trip and one commit per write (<see cref="RawNpgsql"/>). Both write the same ~110-byte JSON
/// state; each writer is sequential and owns one grain (one row). Measured with one writer (the
/// figure of the result, with p50/p99 per write) and with eight concurrent writers (in the details);
/// each writer count runs raw then ours back to back. Target: ours ≥ 0.8 of raw, both ways.
/// </summary>
/// <remarks>
/// The server is <c>--pg &lt;connection string&gt;</c> or <c>AGENTS_BENCH_POSTGRES</c> (two tables are
/// created there and dropped afterwards), else a throwaway server started here with
/// <see cref="PostgresTestServer"/> (fsync and synchronous_commit on) and stopped at the end.
/// </remarks>
internal static class StateWritePgScenario
{
    private const int ManyWriters = 8;
    private const double Target = 0.8;

    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        await using var database = await BenchDatabase.OpenAsync(settings.PostgresConnectionString);
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var oursTable = $"bench_state_{suffix}";
        var rawTable = $"bench_raw_{suffix}";
        try
        {
            // Our table is made by the provider itself (its schema, its defaults); the raw one copies it.
            await using (var storage = new PostgresGrainStorage(StateWriterGrain.StorageName, ProviderOptions(database.ConnectionString, oursTable),
                JsonGrainStateSerializer.Default, NullLogger<PostgresGrainStorage>.Instance))
            {
                await storage.InitializeAsync();
            }

            await RawNpgsql.CreateLikeAsync(database.ConnectionString, rawTable, oursTable);
            var payloadBytes = PayloadSize();

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"state-write-pg: baseline = raw Npgsql: per writer one open connection and one prepared UPDATE ... WHERE key AND version = $5 RETURNING version, autocommit, synchronous_commit=on; one round trip and one commit per write; {payloadBytes}-byte jsonb state"));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"state-write-pg: ours = awaited grain call, in-process client → grain sets state → WriteStateAsync → PostgresGrainStorage with its defaults (group commit of up to {PostgresGrainStorageOptions.DefaultMaxBatchSize} writes, {PostgresGrainStorageOptions.DefaultMaxConcurrentBatches} concurrent batches, pooled connections, synchronous_commit=on); same SQL, same {payloadBytes}-byte jsonb state"));

            // Each writer count runs raw then ours back to back, so load from outside the run (a busy
            // shared machine, a checkpoint) skews a pair less than it would two runs far apart.
            await using var silo = await BenchSilo.StartAsync(providers: builder =>
                builder.AddPostgresGrainStorage(StateWriterGrain.StorageName, options => Copy(ProviderOptions(database.ConnectionString, oursTable), options)));

            Console.Error.WriteLine("state-write-pg: baseline, 1 writer");
            var raw1 = await RawNpgsql.WriteAsync("raw npgsql, 1 writer", database.ConnectionString, rawTable, firstKey: 0, writers: 1, settings.Warmup, settings.Duration);
            Console.Error.WriteLine("state-write-pg: ours, 1 writer");
            var ours1 = await GrainWritesAsync(silo, "grain writes, 1 writer", firstKey: 0, writers: 1, settings);
            Console.Error.WriteLine($"state-write-pg: baseline, {ManyWriters} writers");
            var rawMany = await RawNpgsql.WriteAsync($"raw npgsql, {ManyWriters} writers", database.ConnectionString, rawTable, firstKey: 1, ManyWriters, settings.Warmup, settings.Duration);
            Console.Error.WriteLine($"state-write-pg: ours, {ManyWriters} writers");
            var oursMany = await GrainWritesAsync(silo, $"grain writes, {ManyWriters} writers", firstKey: 1, ManyWriters, settings);

            Report(1, ours1, raw1);
            Report(ManyWriters, oursMany, rawMany);
            return new BenchResult("state-write-pg", ours1.PerSecond, raw1.PerSecond, ours1.PerSecond / raw1.PerSecond, "writes/s")
            {
                Target = Target,
                P50Us = ours1.P50Us,
                P99Us = ours1.P99Us,
                BaselineP50Us = raw1.P50Us,
                BaselineP99Us = raw1.P99Us,
                Details = new()
                {
                    ["w8_writes_per_s"] = oursMany.PerSecond,
                    ["baseline_w8_writes_per_s"] = rawMany.PerSecond,
                    ["w8_ratio"] = oursMany.PerSecond / rawMany.PerSecond,
                    ["w8_p50_us"] = oursMany.P50Us,
                    ["w8_p99_us"] = oursMany.P99Us,
                    ["baseline_w8_p50_us"] = rawMany.P50Us,
                    ["baseline_w8_p99_us"] = rawMany.P99Us,
                    ["bytes_per_write"] = ours1.BytesPerOp,
                    ["baseline_bytes_per_write"] = raw1.BytesPerOp,
                    ["payload_bytes"] = payloadBytes,
                },
            };
        }
        finally
        {
            await database.DropTablesAsync(oursTable, rawTable);
        }
    }

    /// <summary>Each writer awaits calls to its own grain, whose method sets the state and writes it.</summary>
    private static async Task<ThroughputFigures> GrainWritesAsync(BenchSilo silo, string label, int firstKey, int writers, BenchSettings settings)
    {
        var grains = Enumerable.Range(firstKey, writers).Select(k => silo.Client.GetGrain<IStateWriterGrain>(k)).ToArray();

        // Activates each grain (it reads its state) and creates its row; the run then measures updates only.
        await Task.WhenAll(grains.Select(g => g.Write(0)));
        return await Measure.TimedThroughputAsync(label, writers, async (w, loop) =>
        {
            var grain = grains[w];
            var sequence = 0L;
            while (loop.Running)
            {
                var started = Stopwatch.GetTimestamp();
                await grain.Write(++sequence);
                loop.Completed(started);
            }
        }, settings.Warmup, settings.Duration);
    }

    private static void Report(int writers, ThroughputFigures ours, ThroughputFigures raw)
    {
        var ratio = ours.PerSecond / raw.PerSecond;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"state-write-pg: {writers} writer{(writers == 1 ? "" : "s")}: ours {ours.PerSecond:N0} writes/s (p50 {ours.P50Us:0} µs, p99 {ours.P99Us:0} µs), " +
            $"raw {raw.PerSecond:N0} writes/s (p50 {raw.P50Us:0} µs, p99 {raw.P99Us:0} µs), ratio {ratio:0.000}, {(ratio >= Target ? "meets" : "MISSES")} target {Target:0.###}"));
    }

    private static PostgresGrainStorageOptions ProviderOptions(string connectionString, string table) =>
        new() { ConnectionString = connectionString, TableName = table };

    private static void Copy(PostgresGrainStorageOptions from, PostgresGrainStorageOptions to)
    {
        to.ConnectionString = from.ConnectionString;
        to.TableName = from.TableName;
    }

    private static int PayloadSize()
    {
        var state = new LedgerState();
        state.Advance(1, 1_000_000);
        return JsonSerializer.SerializeToUtf8Bytes(state, JsonGrainStateSerializer.Default.Options).Length;
    }

    /// <summary>The server the scenario writes to: given, or a throwaway one started (and stopped) here.</summary>
    private sealed class BenchDatabase : IAsyncDisposable
    {
        private readonly PostgresTestServer? _server;

        private BenchDatabase(string connectionString, PostgresTestServer? server)
        {
            ConnectionString = connectionString;
            _server = server;
        }

        public string ConnectionString { get; }

        public static async Task<BenchDatabase> OpenAsync(string? connectionString)
        {
            if (!string.IsNullOrWhiteSpace(connectionString))
            {
                var given = new NpgsqlConnectionStringBuilder(connectionString);
                Console.Error.WriteLine($"state-write-pg: using the server given by --pg or {BenchSettings.PostgresVariable} (database '{given.Database}' on {given.Host}:{given.Port})");
                return new BenchDatabase(connectionString, server: null);
            }

            Console.Error.WriteLine($"state-write-pg: starting a throwaway PostgreSQL server (no --pg or {BenchSettings.PostgresVariable}); fsync and synchronous_commit on");
            var clock = Stopwatch.StartNew();
            var server = await PostgresTestServer.StartAsync(new PostgresTestServerOptions { UseEnvironmentVariable = false, DatabaseName = "agents_bench" });
            Console.Error.WriteLine($"  server ready in {clock.Elapsed.TotalSeconds:F1} s ({server.RootDirectory})");
            return new BenchDatabase(server.ConnectionString, server);
        }

        /// <summary>On a server of our own everything goes with it; on a given one the tables are dropped.</summary>
        public async Task DropTablesAsync(params string[] tables)
        {
            if (_server is not null)
            {
                return;
            }

            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync();
                foreach (var table in tables)
                {
                    await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS \"{table}\"", connection);
                    await drop.ExecuteNonQueryAsync();
                }

                // The provider records each table's schema version; forget ours (the table is gone).
                await using var forget = new NpgsqlCommand(
                    "DELETE FROM agents_schema_version WHERE component = ANY($1)", connection)
                {
                    Parameters = { new NpgsqlParameter<string[]> { TypedValue = [.. tables.Select(t => $"grain_state:{t}")] } },
                };
                await forget.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException ex)
            {
                Console.Error.WriteLine($"state-write-pg: could not drop the benchmark tables {string.Join(", ", tables)}: {ex.Message}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
