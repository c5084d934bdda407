using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Agents.Bench.Scenarios;

/// <summary>
/// Activates N empty grains and measures the managed heap each idle activation keeps, against a
/// raw baseline of N minimal hand-rolled actors (a dictionary entry, a key and a small object with
/// a lock and an inbox) built in the same run. Figures are activations per MiB, so higher is
/// better; bytes per activation are in the details. Target: ≤ 2,048 bytes per idle activation.
/// </summary>
internal static class ActivationsScenario
{
    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        var count = settings.Count ?? 100_000;

        Console.Error.WriteLine($"activations: baseline ({count:N0} raw actors)");
        var baselineBytes = MeasureRawActors(count);

        Console.Error.WriteLine($"activations: ours ({count:N0} idle grains)");
        await using var silo = await BenchSilo.StartAsync();
        await silo.Client.GetGrain<IEmptyGrain>(-1).Touch();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        const int Concurrency = 256;
        var next = -1;
        var progressStep = Math.Max(1, count / 10);
        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            int key;
            while ((key = Interlocked.Increment(ref next)) < count)
            {
                await silo.Client.GetGrain<IEmptyGrain>(key).Touch();
                if ((key + 1) % progressStep == 0)
                {
                    Console.Error.WriteLine($"  activated {key + 1:N0}/{count:N0} ({clock.Elapsed.TotalSeconds:F1} s)");
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var active = silo.Runtime.Catalog.ActivationCount;
        if (active < count)
        {
            throw new InvalidOperationException($"Only {active:N0} of {count:N0} activations are alive; the measurement would be wrong.");
        }

        var oursBytes = (double)(after - before) / count;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {count:N0} activations: {(after - before) / 1048576.0:N1} MiB managed heap, {oursBytes:N0} B each, activated at {count / elapsed.TotalSeconds:N0}/s"));

        const double MiB = 1024 * 1024;
        var ours = MiB / oursBytes;
        var baseline = MiB / baselineBytes;
        return new BenchResult("activations", ours, baseline, ours / baseline, "activations/MiB")
        {
            Target = MiB / 2048 / baseline,
            Details = new()
            {
                ["count"] = count,
                ["bytes_per_activation"] = oursBytes,
                ["baseline_bytes_per_actor"] = baselineBytes,
                ["heap_mib"] = (after - before) / MiB,
                ["activations_per_second"] = count / elapsed.TotalSeconds,
            },
        };
    }

    private static double MeasureRawActors(int count)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var actors = new ConcurrentDictionary<string, RawActor>();
        for (var i = 0; i < count; i++)
        {
            var key = i.ToString(CultureInfo.InvariantCulture);
            actors[key] = new RawActor(key);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(actors);
        return (double)(after - before) / count;
    }

    /// <summary>The least a hand-rolled actor needs: its key, a lock and an inbox.</summary>
    private sealed class RawActor(string key)
    {
        public string Key { get; } = key;

        public Queue<object> Inbox { get; } = new();

        public Lock Gate { get; } = new();
    }
}
