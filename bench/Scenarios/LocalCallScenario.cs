using System.Threading.Channels;

namespace Agents.Bench.Scenarios;

/// <summary>
/// One caller awaiting calls to one grain, against the raw baseline of one task ping-ponging
/// with another over two <see cref="Channel{T}"/>s. Target: ratio ≥ 1/3, ≤ 1 allocation per call.
/// </summary>
internal static class LocalCallScenario
{
    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        Console.Error.WriteLine("local-call: baseline (Channel<T> ping-pong)");
        var baseline = await ChannelPingPongAsync(settings);

        Console.Error.WriteLine("local-call: ours (awaited grain call, in-process client)");
        await using var silo = await BenchSilo.StartAsync();
        var grain = silo.Client.GetGrain<IPingGrain>(1);
        await grain.Ping(0);
        var ours = await Measure.ThroughputAsync("grain call", 1, async (_, loop) =>
        {
            var i = 0;
            while (loop.Running)
            {
                i = await grain.Ping(i);
                loop.Completed();
            }
        }, settings.Warmup, settings.Duration);

        return new BenchResult("local-call", ours.PerSecond, baseline.PerSecond, ours.PerSecond / baseline.PerSecond, "calls/s")
        {
            Target = 1.0 / 3,
            Details = new()
            {
                ["bytes_per_call"] = ours.BytesPerOp,
                ["baseline_bytes_per_round_trip"] = baseline.BytesPerOp,
            },
        };
    }

    private static async Task<(double PerSecond, double BytesPerOp)> ChannelPingPongAsync(BenchSettings settings)
    {
        var requests = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var responses = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var responder = Task.Run(async () =>
        {
            try
            {
                while (await requests.Reader.WaitToReadAsync(stop.Token))
                {
                    while (requests.Reader.TryRead(out var value))
                    {
                        responses.Writer.TryWrite(value + 1);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var result = await Measure.ThroughputAsync("channel ping-pong", 1, async (_, loop) =>
        {
            var i = 0;
            while (loop.Running)
            {
                requests.Writer.TryWrite(i);
                i = await responses.Reader.ReadAsync();
                loop.Completed();
            }
        }, settings.Warmup, settings.Duration);

        await stop.CancelAsync();
        await responder;
        return result;
    }
}
