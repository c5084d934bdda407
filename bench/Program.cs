using System.Globalization;
using System.Text.Json;
using Agents.Bench;
using Agents.Bench.Scenarios;

// dotnet run -c Release --project bench -- <scenario|all> [--json FILE] [--duration SECONDS] [--warmup SECONDS] [--count N] [--pg CONNSTRING] [--allocs]
var scenarios = new Dictionary<string, Func<BenchSettings, Task<BenchResult>>>(StringComparer.Ordinal)
{
    ["local-call"] = LocalCallScenario.RunAsync,
    ["local-fanin"] = LocalFanInScenario.RunAsync,
    ["activations"] = ActivationsScenario.RunAsync,
    ["transport"] = TransportScenario.RunAsync,
    ["state-write-pg"] = StateWritePgScenario.RunAsync,
    ["remote-call-seq"] = RemoteCallScenarios.SequentialAsync,
    ["remote-call-256"] = RemoteCallScenarios.PipelinedAsync,
    ["silo-to-silo"] = RemoteCallScenarios.SiloToSiloAsync,
    ["signals-local"] = SignalsLocalScenario.RunAsync,
    ["http-ask"] = HttpAskScenario.RunAsync,
};

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: bench <scenario|all> [--json FILE] [--duration SECONDS] [--warmup SECONDS] [--count N] [--pg CONNSTRING] [--allocs]");
    Console.WriteLine($"scenarios: {string.Join(", ", scenarios.Keys)}");
    Console.WriteLine("--allocs: print a sample of the bytes allocated, by type (every phase of the run)");
    Console.WriteLine($"--pg: the PostgreSQL server for state-write-pg (default: ${BenchSettings.PostgresVariable}, else a throwaway server it starts)");
    return args.Length == 0 ? 2 : 0;
}

BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args[1..]);
}
catch (FormatException error)
{
    Console.Error.WriteLine($"bench: {error.Message}");
    return 2;
}

using var allocationSampler = settings.Allocations ? new AllocationSampler() : null;
var selected = args[0] == "all" ? scenarios.Keys.ToArray() : [args[0]];
var results = new List<BenchResult>();
foreach (var name in selected)
{
    if (!scenarios.TryGetValue(name, out var run))
    {
        Console.Error.WriteLine($"bench: unknown scenario '{name}'. Scenarios: {string.Join(", ", scenarios.Keys)}");
        return 2;
    }

    var result = await run(settings);
    results.Add(result);
    var verdict = result.Target is { } target ? (result.Ratio >= target ? "meets" : "MISSES") + string.Create(CultureInfo.InvariantCulture, $" target {target:0.###}") : "";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{result.Scenario,-14} ours {result.Ours,14:N0} {result.Unit}   baseline {result.Baseline,14:N0}   ratio {result.Ratio:0.000}   {verdict}"));
    if (result.P50Us is { } p50)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"               latency p50 {p50:0.0} µs  p99 {result.P99Us:0.0} µs   baseline p50 {result.BaselineP50Us:0.0} µs  p99 {result.BaselineP99Us:0.0} µs"));
    }

    if (result.Details is { } details)
    {
        Console.WriteLine("               " + string.Join("   ", details.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key} {d.Value:0.##}"))));
    }
}

allocationSampler?.Print(Console.Out);
if (settings.JsonPath is { } path)
{
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    Console.Error.WriteLine($"bench: wrote {path}");
}

return 0;

namespace Agents.Bench
{
    /// <summary>Command-line settings shared by scenarios.</summary>
    internal sealed record BenchSettings(string? JsonPath, TimeSpan Duration, TimeSpan Warmup, int? Count, string? PostgresConnectionString, bool Allocations = false)
    {
        /// <summary>The environment variable naming the PostgreSQL server when <c>--pg</c> is not given.</summary>
        public const string PostgresVariable = "AGENTS_BENCH_POSTGRES";

        public static BenchSettings Parse(string[] args)
        {
            string? json = null;
            string? postgres = null;
            var duration = TimeSpan.FromSeconds(5);
            var warmup = TimeSpan.FromSeconds(2);
            int? count = null;
            var allocations = false;
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--json": json = Value(); break;
                    case "--duration": duration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--warmup": warmup = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                    case "--count": count = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--pg": postgres = Value(); break;
                    case "--allocs": allocations = true; break;
                    default: throw new FormatException($"unknown option '{args[i]}'");
                }
            }

            postgres ??= Environment.GetEnvironmentVariable(PostgresVariable);
            return new BenchSettings(json, duration, warmup, count, string.IsNullOrWhiteSpace(postgres) ? null : postgres, allocations);
        }
    }
}
