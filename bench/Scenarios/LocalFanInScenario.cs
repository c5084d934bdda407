using System.Threading.Channels;

namespace Agents.Bench.Scenarios;

/// <summary>
/// Many callers and many grains: <c>Callers</c> concurrent loops each awaiting calls spread over
/// <c>Grains</c> grains, against the same fan-in built from raw channels (one reader loop per
/// actor, one reply channel per caller). Target: ratio ≥ 1/2.
/// </summary>
internal static class LocalFanInScenario
{
    private const int Callers = 64;
    private const int Actors = 1_000;

    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        Console.Error.WriteLine($"local-fanin: baseline ({Callers} callers → {Actors} channel actors)");
        var baseline = await ChannelFanInAsync(settings);

        Console.Error.WriteLine($"local-fanin: ours ({Callers} callers → {Actors} grains)");
        await using var silo = await BenchSilo.StartAsync();
        var grains = Enumerable.Range(0, Actors).Select(i => silo.Client.GetGrain<IPingGrain>(i)).ToArray();
        await Task.WhenAll(grains.Select(g => g.Ping(0).AsTask()));
        var ours = await Measure.ThroughputAsync("grain fan-in", Callers, async (caller, loop) =>
        {
            var next = caller * 7;
            while (loop.Running)
            {
                next = (next + 1) % Actors;
                await grains[next].Ping(next);
                loop.Completed();
            }
        }, settings.Warmup, settings.Duration);

        return new BenchResult("local-fanin", ours.PerSecond, baseline.PerSecond, ours.PerSecond / baseline.PerSecond, "calls/s")
        {
            Target = 0.5,
            Details = new() { ["bytes_per_call"] = ours.BytesPerOp, ["callers"] = Callers, ["grains"] = Actors },
        };
    }

    private static async Task<(double PerSecond, double BytesPerOp)> ChannelFanInAsync(BenchSettings settings)
    {
        using var stop = new CancellationTokenSource();
        var inboxes = new Channel<(int Value, ChannelWriter<int> Reply)>[Actors];
        var actors = new Task[Actors];
        for (var a = 0; a < Actors; a++)
        {
            var inbox = Channel.CreateUnbounded<(int, ChannelWriter<int>)>(new UnboundedChannelOptions { SingleReader = true });
            inboxes[a] = inbox;
            actors[a] = Task.Run(async () =>
            {
                try
                {
                    while (await inbox.Reader.WaitToReadAsync(stop.Token))
                    {
                        while (inbox.Reader.TryRead(out var message))
                        {
                            message.Item2.TryWrite(message.Item1 + 1);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        var result = await Measure.ThroughputAsync("channel fan-in", Callers, async (caller, loop) =>
        {
            var reply = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var next = caller * 7;
            while (loop.Running)
            {
                next = (next + 1) % Actors;
                inboxes[next].Writer.TryWrite((next, reply.Writer));
                await reply.Reader.ReadAsync();
                loop.Completed();
            }
        }, settings.Warmup, settings.Duration);

        await stop.CancelAsync();
        await Task.WhenAll(actors);
        return result;
    }
}
