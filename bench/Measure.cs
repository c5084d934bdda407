using System.Diagnostics;

namespace Agents.Bench;

/// <summary>Timing loops shared by scenarios: warm up, then run for a fixed duration, printing progress.</summary>
internal static class Measure
{
    /// <summary>
    /// Runs <paramref name="workers"/> concurrent loops (each an operation from <paramref name="createWorker"/>) for
    /// <paramref name="duration"/> after <paramref name="warmup"/>; returns operations per second
    /// and bytes allocated per operation (whole process).
    /// </summary>
    public static async Task<(double PerSecond, double BytesPerOp)> ThroughputAsync(
        string label,
        int workers,
        Func<int, Func<ValueTask>> createWorker,
        TimeSpan warmup,
        TimeSpan duration)
    {
        var counts = new long[workers * 16];
        using var stop = new CancellationTokenSource();
        var measuring = 0;
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var index = w * 16; // separate cache lines
            var operation = createWorker(w);
            tasks[w] = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await operation();
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        counts[index]++;
                    }
                }
            });
        }

        await Task.Delay(warmup);
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        var nextReport = TimeSpan.FromSeconds(1);
        while (clock.Elapsed < duration)
        {
            await Task.Delay(100);
            if (clock.Elapsed >= nextReport)
            {
                Console.Error.WriteLine($"  {label}: {Sum(counts) / clock.Elapsed.TotalSeconds:N0} ops/s so far");
                nextReport += TimeSpan.FromSeconds(1);
            }
        }

        Volatile.Write(ref measuring, 0);
        var elapsed = clock.Elapsed;
        var total = Sum(counts);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
        return (total / elapsed.TotalSeconds, total == 0 ? 0 : (double)allocated / total);
    }

    private static long Sum(long[] counts)
    {
        long total = 0;
        for (var i = 0; i < counts.Length; i += 16)
        {
            total += Volatile.Read(ref counts[i]);
        }

        return total;
    }
}
