using System.Diagnostics;

namespace Agents.Bench;

/// <summary>
/// What a benchmark worker loop sees: whether to keep going, and where to count an operation.
/// Each worker is one async loop written by the scenario, so the harness adds no allocation per
/// operation and bytes-per-operation figures are the code under test's own.
/// </summary>
internal sealed class WorkerLoop(long[] counts, int index, Func<bool> measuring, CancellationToken stop)
{
    public bool Running => !stop.IsCancellationRequested;

    public void Completed()
    {
        if (measuring())
        {
            counts[index]++;
        }
    }
}

/// <summary>Timing shared by scenarios: warm up, then run for a fixed duration, printing progress.</summary>
internal static class Measure
{
    /// <summary>
    /// Runs <paramref name="workers"/> concurrent loops from <paramref name="worker"/> for
    /// <paramref name="duration"/> after <paramref name="warmup"/>; returns operations per second
    /// and bytes allocated per operation (whole process).
    /// </summary>
    public static async Task<(double PerSecond, double BytesPerOp)> ThroughputAsync(
        string label,
        int workers,
        Func<int, WorkerLoop, Task> worker,
        TimeSpan warmup,
        TimeSpan duration)
    {
        var counts = new long[workers * 16];
        using var stop = new CancellationTokenSource();
        var measuring = 0;
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var loop = new WorkerLoop(counts, w * 16, () => Volatile.Read(ref measuring) == 1, stop.Token); // a cache line apart
            var id = w;
            tasks[w] = Task.Run(() => worker(id, loop));
        }

        await Task.Delay(warmup);
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        var nextReport = TimeSpan.FromSeconds(1);
        while (clock.Elapsed < duration)
        {
            await Task.Delay(50);
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
