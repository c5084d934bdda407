using Agents.Bench.Baselines;

namespace Agents.Bench.Scenarios;

/*
 * Calls that cross the wire, each against raw Pipelines TCP in the same run:
 *  - remote-call-seq: a gateway client calls a grain on its silo, one call at a time (p50/p99);
 *    baseline: raw TCP ping-pong of 16-byte messages. Targets: p50 ≤ 2× raw, p99 ≤ 200 µs.
 *  - remote-call-256: the same client keeps 256 calls in flight; baseline: raw TCP with 256
 *    messages in flight. Target: ≥ 0.25 of raw.
 *  - silo-to-silo: a grain on silo A calls a grain on silo B, one call at a time (started from A's
 *    in-process client, so the only wire hop is A → B and back); baseline: raw TCP ping-pong.
 */
internal static class RemoteCallScenarios
{
    private const int Outstanding = 256;

    public static async Task<BenchResult> SequentialAsync(BenchSettings settings)
    {
        Console.Error.WriteLine("remote-call-seq: baseline (raw Pipelines TCP ping-pong, 16-byte messages)");
        var raw = await RawTcp.SequentialAsync(settings.Warmup, settings.Duration);

        Console.Error.WriteLine("remote-call-seq: ours (gateway client → silo → PingGrain, sequential)");
        await using var cluster = await BenchCluster.StartAsync(1);
        var client = await cluster.ConnectClientAsync(0);
        var grain = client.GetGrain<IPingGrain>(1);
        var value = 0;
        var ours = await RoundTrips.SequentialAsync("remote-call-seq", async () => value = await grain.Ping(value), settings.Warmup, settings.Duration);
        return Latency("remote-call-seq", ours, raw, p50Target: 2.0);
    }

    public static async Task<BenchResult> PipelinedAsync(BenchSettings settings)
    {
        Console.Error.WriteLine($"remote-call-256: baseline (raw Pipelines TCP, {Outstanding} messages in flight)");
        var raw = await RawTcp.PipelinedAsync(Outstanding, settings.Warmup, settings.Duration);

        Console.Error.WriteLine($"remote-call-256: ours (gateway client → silo → 1,000 PingGrains, {Outstanding} calls in flight)");
        await using var cluster = await BenchCluster.StartAsync(1);
        var client = await cluster.ConnectClientAsync(0);
        // One counter per caller, each on its own cache line, summed when sampled: like the baseline's
        // single reader, counting costs the callers no shared cache line.
        const int Stride = 16;
        var counts = new long[Outstanding * Stride];
        long Completed()
        {
            long sum = 0;
            for (var i = 0; i < Outstanding; i++)
            {
                sum += Volatile.Read(ref counts[i * Stride]);
            }

            return sum;
        }

        var stop = false;
        var callers = Enumerable.Range(0, Outstanding).Select(i => Task.Run(async () =>
        {
            var grain = client.GetGrain<IPingGrain>(i % 1000);
            while (!Volatile.Read(ref stop))
            {
                await grain.Ping(i);
                Volatile.Write(ref counts[i * Stride], counts[i * Stride] + 1);
            }
        })).ToArray();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var completedBefore = Completed();
        var workItemsBefore = ThreadPool.CompletedWorkItemCount;
        var ours = await RoundTrips.PipelinedAsync($"remote-call-256", Completed, settings.Warmup, settings.Duration);
        var workItemsPerCall = (double)(ThreadPool.CompletedWorkItemCount - workItemsBefore) / Math.Max(1, Completed() - completedBefore);
        var threads = ThreadPool.ThreadCount;
        // Client, gateway silo and grain share this process: bytes per call cover both ends of the wire.
        var bytesPerCall = (double)(GC.GetTotalAllocatedBytes() - allocatedBefore) / Math.Max(1, Completed() - completedBefore);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(callers);
        return new BenchResult("remote-call-256", ours, raw, ours / raw, "calls/s")
        {
            Target = 0.25,
            Details = new()
            {
                ["outstanding"] = Outstanding,
                ["bytes_allocated_per_call_both_ends"] = bytesPerCall,
                ["thread_pool_work_items_per_call"] = workItemsPerCall,
                ["thread_pool_threads"] = threads,
            },
        };
    }

    public static async Task<BenchResult> SiloToSiloAsync(BenchSettings settings)
    {
        Console.Error.WriteLine("silo-to-silo: baseline (raw Pipelines TCP ping-pong, 16-byte messages)");
        var raw = await RawTcp.SequentialAsync(settings.Warmup, settings.Duration);

        Console.Error.WriteLine("silo-to-silo: ours (grain on silo A calls a grain on silo B, sequential)");
        await using var cluster = await BenchCluster.StartAsync(2);
        // Activate the target through B's client and the relay through A's: each prefers its caller's silo.
        await cluster.SiloClient(1).GetGrain<IPinnedPingGrain>(7).Ping(0);
        var relay = cluster.SiloClient(0).GetGrain<IRelayGrain>(1);
        await relay.Relay(7, 0);
        var value = 0;
        var ours = await RoundTrips.SequentialAsync("silo-to-silo", async () => value = await relay.Relay(7, value), settings.Warmup, settings.Duration);
        return Latency("silo-to-silo", ours, raw, p50Target: null);
    }

    private static BenchResult Latency(string name, RoundTripFigures ours, RoundTripFigures raw, double? p50Target) =>
        new(name, ours.PerSecond, raw.PerSecond, ours.PerSecond / raw.PerSecond, "calls/s")
        {
            P50Us = ours.P50Us,
            P99Us = ours.P99Us,
            BaselineP50Us = raw.P50Us,
            BaselineP99Us = raw.P99Us,
            Target = p50Target is { } t ? 1 / t : null,
            Details = new()
            {
                ["p50_us"] = ours.P50Us,
                ["p99_us"] = ours.P99Us,
                ["raw_p50_us"] = raw.P50Us,
                ["raw_p99_us"] = raw.P99Us,
                ["p50_x_raw"] = ours.P50Us / raw.P50Us,
            },
        };
}
