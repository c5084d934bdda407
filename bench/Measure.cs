using System.Diagnostics;

namespace Agents.Bench;

/// <summary>
/// What a benchmark worker loop sees: whether to keep going, and where to count an operation.
/// Each worker is one async loop written by the scenario, so the harness adds no allocation per
/// operation and bytes-per-operation figures are the code under test's own.
/// </summary>
internal sealed class WorkerLoop(long[] counts, int index, Func<bool> measuring, CancellationToken stop, long[]? samples = null)
{
    private int _sampled;

    public bool Running => !stop.IsCancellationRequested;

    /// <summary>The latencies recorded by <see cref="Completed(long)"/>, in <see cref="Stopwatch"/> ticks.</summary>
    public ReadOnlySpan<long> Samples => samples is null ? default : samples.AsSpan(0, _sampled);

    public void Completed()
    {
        if (measuring())
        {
            counts[index]++;
        }
    }

    /// <summary>
    /// Counts an operation that began at <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>)
    /// and, in a timed run, records its latency. Once the sample buffer is full operations are counted but not timed.
    /// </summary>
    public void Completed(long startedTimestamp)
    {
        if (measuring())
        {
            counts[index]++;
            if (samples is not null && _sampled < samples.Length)
            {
                samples[_sampled++] = Stopwatch.GetTimestamp() - startedTimestamp;
            }
        }
    }
}

/// <summary>Operations per second, bytes allocated per operation (whole process) and per-operation latency percentiles.</summary>
internal sealed record ThroughputFigures(double PerSecond, double BytesPerOp, double P50Us, double P99Us);

/// <summary>Timing shared by scenarios: warm up, then run for a fixed duration, printing progress.</summary>
internal static class Measure
{
    // Latency samples kept across all workers of a timed run (16 MiB); later operations are counted but not timed.
    private const int MaxSamples = 2 * 1024 * 1024;

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
        var (perSecond, bytesPerOp, _) = await RunAsync(label, workers, worker, warmup, duration, samplesPerWorker: 0);
        return (perSecond, bytesPerOp);
    }

    /// <summary>
    /// As <see cref="ThroughputAsync"/>, for loops that time each operation by passing its start to
    /// <see cref="WorkerLoop.Completed(long)"/>; adds the p50 and p99 latency over all workers' operations.
    /// </summary>
    public static async Task<ThroughputFigures> TimedThroughputAsync(
        string label,
        int workers,
        Func<int, WorkerLoop, Task> worker,
        TimeSpan warmup,
        TimeSpan duration)
    {
        var (perSecond, bytesPerOp, loops) = await RunAsync(label, workers, worker, warmup, duration, samplesPerWorker: MaxSamples / workers);
        var all = new long[loops.Sum(l => l.Samples.Length)];
        var filled = 0;
        foreach (var loop in loops)
        {
            loop.Samples.CopyTo(all.AsSpan(filled));
            filled += loop.Samples.Length;
        }

        Array.Sort(all);
        var figures = new ThroughputFigures(perSecond, bytesPerOp, Percentile(all, 0.50), Percentile(all, 0.99));
        Console.Error.WriteLine($"  {label}: {figures.PerSecond:N0} ops/s, p50 {figures.P50Us:0.0} µs, p99 {figures.P99Us:0.0} µs");
        return figures;
    }

    /// <summary>
    /// For operations that complete elsewhere (e.g. in grains) and are counted into <paramref name="completed"/>:
    /// lets them run for <paramref name="warmup"/>, then measures their rate until <paramref name="duration"/> has
    /// passed or, when given, <paramref name="count"/> operations completed, printing progress every second.
    /// Returns operations per second, bytes allocated per operation (whole process) and the operations measured.
    /// </summary>
    public static async Task<(double PerSecond, double BytesPerOp, long Operations)> RateAsync(
        string label,
        Func<long> completed,
        TimeSpan warmup,
        TimeSpan duration,
        long? count = null)
    {
        await Task.Delay(warmup);
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = GcCounters.Now();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var before = completed();
        var limit = count ?? long.MaxValue;
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(1);
        while (clock.Elapsed < duration && completed() - before < limit)
        {
            // With a count, poll finely so the window closes close to the count-th operation.
            await Task.Delay(count is null ? 50 : 1);
            if (clock.Elapsed >= nextReport)
            {
                Console.Error.WriteLine($"  {label}: {(completed() - before) / clock.Elapsed.TotalSeconds:N0} ops/s so far");
                nextReport += TimeSpan.FromSeconds(1);
            }
        }

        var elapsed = clock.Elapsed;
        var operations = completed() - before;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var perSecond = operations / elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.Error.WriteLine($"  {label}: {perSecond:N0} ops/s ({operations:N0} in {elapsed.TotalSeconds:0.00} s; process CPU {cpu.TotalMicroseconds / Math.Max(operations, 1):0.00} µs per op; {GcCounters.Now().Since(gcBefore, elapsed)})");
        return (perSecond, operations == 0 ? 0 : (double)allocated / operations, operations);
    }

    /// <summary>Waits for <paramref name="done"/>, printing every second the rate of the operations <paramref name="completed"/> counts.</summary>
    public static async Task ProgressUntilAsync(string label, Task done, Func<long> completed)
    {
        var clock = Stopwatch.StartNew();
        while (await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(1))) != done)
        {
            Console.Error.WriteLine($"  {label}: {completed() / clock.Elapsed.TotalSeconds:N0} ops/s so far");
        }

        await done;
    }

    private static async Task<(double PerSecond, double BytesPerOp, WorkerLoop[] Loops)> RunAsync(
        string label,
        int workers,
        Func<int, WorkerLoop, Task> worker,
        TimeSpan warmup,
        TimeSpan duration,
        int samplesPerWorker)
    {
        var counts = new long[workers * 16];
        using var stop = new CancellationTokenSource();
        var measuring = 0;
        var tasks = new Task[workers];
        var loops = new WorkerLoop[workers];
        for (var w = 0; w < workers; w++)
        {
            var samples = samplesPerWorker > 0 ? new long[samplesPerWorker] : null;
            var loop = loops[w] = new WorkerLoop(counts, w * 16, () => Volatile.Read(ref measuring) == 1, stop.Token, samples); // a cache line apart
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
        return (total / elapsed.TotalSeconds, total == 0 ? 0 : (double)allocated / total, loops);
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

    private static double Percentile(long[] sorted, double fraction) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * fraction))] * 1_000_000.0 / Stopwatch.Frequency;
}

/// <summary>Collections by generation and time paused in them: how much of a window the garbage collector took.</summary>
internal readonly record struct GcCounters(int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static GcCounters Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    /// <summary>"gc 12/3/0 collections, paused 4.1%" for the window from <paramref name="before"/> lasting <paramref name="elapsed"/>.</summary>
    public string Since(GcCounters before, TimeSpan elapsed) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"gc {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2} collections (gen 0/1/2), paused {100 * (Paused - before.Paused) / elapsed:0.0}%");
}
