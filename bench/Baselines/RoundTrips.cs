using System.Diagnostics;

namespace Agents.Bench.Baselines;

/// <summary>Round trips per second and, for sequential runs, latency percentiles.</summary>
internal sealed record RoundTripFigures(double PerSecond, double P50Us, double P99Us);

/// <summary>Timing of ping-pong loops shared by the raw baselines and the scenarios measured against them.</summary>
internal static class RoundTrips
{
    // Enough samples for minutes of sequential round trips; later ones are counted but not timed.
    private const int MaxSamples = 8 * 1024 * 1024;

    /// <summary>Awaits <paramref name="roundTrip"/> back to back, timing each one after the warm-up.</summary>
    public static async Task<RoundTripFigures> SequentialAsync(string label, Func<ValueTask> roundTrip, TimeSpan warmup, TimeSpan duration)
    {
        var warmupEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmupEnd)
        {
            await roundTrip();
        }

        GC.Collect();
        var samples = new long[MaxSamples];
        var count = 0L;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var now = start;
        while (now < end)
        {
            var before = now;
            await roundTrip();
            now = Stopwatch.GetTimestamp();
            if (count < samples.Length)
            {
                samples[count] = now - before;
            }

            count++;
        }

        var elapsed = (double)(now - start) / Stopwatch.Frequency;
        var timed = (int)Math.Min(count, samples.Length);
        Array.Sort(samples, 0, timed);
        var figures = new RoundTripFigures(count / elapsed, Percentile(samples, timed, 0.50), Percentile(samples, timed, 0.99));
        Console.Error.WriteLine($"  {label}: {figures.PerSecond:N0} round trips/s, p50 {figures.P50Us:0.0} µs, p99 {figures.P99Us:0.0} µs");
        return figures;
    }

    /// <summary>Lets pipelined loops run (they count completions into <paramref name="completed"/>) and measures their rate after the warm-up.</summary>
    public static async Task<double> PipelinedAsync(string label, Func<long> completed, TimeSpan warmup, TimeSpan duration)
    {
        await Task.Delay(warmup);
        GC.Collect();
        var before = completed();
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var perSecond = (completed() - before) / clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"  {label}: {perSecond:N0} round trips/s");
        return perSecond;
    }

    private static double Percentile(long[] sorted, int count, double fraction) =>
        count == 0 ? 0 : sorted[Math.Min(count - 1, (int)(count * fraction))] * 1_000_000.0 / Stopwatch.Frequency;
}
