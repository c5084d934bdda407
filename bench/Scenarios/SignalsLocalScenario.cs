using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Bench.Scenarios;

/*
 * signals-local: signals published on one topic and routed to 1,000 agents on one in-process silo
 * (memory storage, memory streams), as an application that ingests in bulk publishes them:
 * ISignalPublisherGrain.PublishBatch (key 0) from the silo's client, PublishBatch signals per call,
 * Publishers loops keeping at most Window signals published but not yet handled (Window is what the
 * baseline's channels hold when full: 1,000 × 16). Publishers × PublishBatch is at least Window, so
 * the window, not the load generator, bounds what is in flight (with 8 × 64, about 3,500 of the
 * 16,000 were unhandled on average: the run measured a half-idle pipeline, not a bulk ingest). The
 * route keys agents by { json: $.k } with
 * k = i % 1000; the agent counts what it handles (a shared Interlocked counter) and saves nothing.
 * The figure is handled signals per second.
 *
 * Baseline, same run: a raw fan-out over System.Threading.Channels: one producer writing messages
 * (the same JSON payloads, so the same sizes) to 1,000 bounded channels, one consumer task per
 * channel counting into a shared Interlocked counter. It moves rounds of exactly as many messages as
 * ours handled in its window, for --duration (one round at least). Target: ratio ≥ 0.25.
 *
 * --count N ends ours' window at N handled signals (or at --duration, whichever comes first).
 */
internal static class SignalsLocalScenario
{
    public const string Topic = "bench.signals";
    private const int Keys = 1_000;
    private const int Publishers = 32;
    private const int PublishBatch = 512;
    private const int ChannelCapacity = 16;

    /// <summary>Signals published and not yet handled, at most: what the baseline's channels hold when full.</summary>
    private const int Window = Keys * ChannelCapacity;

    private static readonly string Yaml = $$"""
        agents:
          counter:
            description: counts the signals it handles, in memory
        routes:
          - topic: {{Topic}}
            agent: counter
            key: { json: $.k }
        """;

    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        Console.Error.WriteLine($"signals-local: ours (ISignalPublisherGrain.PublishBatch of {PublishBatch} → topic {Topic} → {Keys:N0} agents, {Publishers} publishers, ≤ {Window:N0} unhandled)");
        var ours = await AgentsFanOutAsync(settings);

        // The same number of messages as ours handled (at least one per consumer, should ours have handled none).
        var messages = Math.Max(ours.Operations, Keys);
        Console.Error.WriteLine($"signals-local: baseline (1 producer → {Keys:N0} channels, one consumer task each, rounds of {messages:N0} messages)");
        var baseline = await ChannelFanOutAsync(messages, settings);

        return new BenchResult("signals-local", ours.PerSecond, baseline.PerSecond, ours.PerSecond / baseline.PerSecond, "signals/s")
        {
            Target = 0.25,
            Details = new()
            {
                ["bytes_per_signal"] = ours.BytesPerOp,
                ["baseline_bytes_per_message"] = baseline.BytesPerOp,
                ["signals_measured"] = ours.Operations,
                ["agents"] = Keys,
            },
        };
    }

    /// <summary>The signal data and the baseline's message: the same JSON for the same <paramref name="i"/>.</summary>
    internal static string Payload(long i) => string.Create(CultureInfo.InvariantCulture, $"{{\"k\":{i % Keys},\"n\":{i}}}");

    private static async Task<(double PerSecond, double BytesPerOp, long Operations)> AgentsFanOutAsync(BenchSettings settings)
    {
        var tally = new SignalTally();
        await using var silo = await BenchSilo.StartAsync(providers: silo =>
        {
            silo.AddMemoryStreams("Default").AddGrainAssembly(typeof(AgentGrain).Assembly);
            silo.Services.AddSingleton(tally);
            silo.Services.AddAgentsService(silo.Configuration, agents => agents
                .AddAgent<CountingAgent>("counter")
                .UseTopology(TopologyLoader.Load(Yaml, "signals-local.yaml", new TopologyValidationContext(["counter"]))));
        });

        var publisher = silo.Client.GetGrain<ISignalPublisherGrain>(0);
        long next = -1;
        long published = 0;

        // Every agent handles one signal before anything is timed, so activation is not measured.
        for (var k = 0; k < Keys; k++)
        {
            await publisher.Publish(Signal.Create(Topic, Payload(Interlocked.Increment(ref next)), "/bench"));
            published++;
        }

        await WaitForAsync(() => tally.Handled >= Keys, TimeSpan.FromSeconds(60), "the 1,000 agents to activate");

        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, Publishers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // At most Window (+ one per publisher) signals published but not yet handled; when the agents
                // are that far behind, thousands of signals are queued, so a millisecond's pause starves nothing.
                if (Interlocked.Read(ref published) - tally.Handled >= Window)
                {
                    await Task.Delay(1);
                    continue;
                }

                var batch = new Signal[PublishBatch];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i] = Signal.Create(Topic, Payload(Interlocked.Increment(ref next)), "/bench");
                }

                await publisher.PublishBatch(batch);
                Interlocked.Add(ref published, batch.Length);
            }
        })).ToArray();

        var figures = await Measure.RateAsync("signals handled", () => tally.Handled, settings.Warmup, settings.Duration, settings.Count);
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        var sent = Interlocked.Read(ref published);
        await WaitForAsync(() => tally.Handled >= sent, TimeSpan.FromSeconds(60), $"the last of {sent:N0} signals to be handled");
        return figures;
    }

    private static async Task<(double PerSecond, double BytesPerOp)> ChannelFanOutAsync(long messages, BenchSettings settings)
    {
        var fanOut = new ChannelFanOut(Keys, ChannelCapacity);
        var consumers = fanOut.Start();

        // Warm up for as long as ours did; then move rounds of exactly the number of messages ours handled
        // (one round at least) for the same duration, so a short round does not make a noisy figure.
        var warmupEnd = Stopwatch.GetTimestamp() + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        long next = 0;
        while (Stopwatch.GetTimestamp() < warmupEnd)
        {
            await fanOut.BatchAsync(next, 4_096);
            next += 4_096;
        }

        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var consumedBefore = fanOut.Consumed;
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        async Task RoundsAsync()
        {
            do
            {
                await fanOut.BatchAsync(next, messages);
                next += messages;
                rounds++;
            }
            while (clock.Elapsed < settings.Duration);
        }

        await Measure.ProgressUntilAsync("channel fan-out", RoundsAsync(), () => fanOut.Consumed - consumedBefore);
        var elapsed = clock.Elapsed;
        var total = rounds * messages;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        fanOut.Complete();
        await consumers;

        var perSecond = total / elapsed.TotalSeconds;
        Console.Error.WriteLine($"  channel fan-out: {perSecond:N0} messages/s ({rounds:N0} rounds of {messages:N0} in {elapsed.TotalSeconds:0.00} s)");
        return (perSecond, (double)allocated / total);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"signals-local: gave up waiting {timeout.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>One producer, <c>consumers</c> bounded channels, one reader task per channel counting into a shared counter.</summary>
    private sealed class ChannelFanOut(int consumers, int capacity)
    {
        private readonly Channel<string>[] _channels = [.. Enumerable.Range(0, consumers).Select(_ =>
            Channel.CreateBounded<string>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true }))];

        private long _consumed;
        private long _target = long.MaxValue;
        private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Consumed => Interlocked.Read(ref _consumed);

        public Task Start() => Task.WhenAll(_channels.Select(channel => Task.Run(async () =>
        {
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out _))
                {
                    if (Interlocked.Increment(ref _consumed) == Volatile.Read(ref _target))
                    {
                        _drained.TrySetResult();
                    }
                }
            }
        })));

        /// <summary>Writes messages <paramref name="first"/> .. first + count - 1; completes when every one was consumed.</summary>
        public async Task BatchAsync(long first, long count)
        {
            if (count == 0)
            {
                return;
            }

            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = drained;
            Volatile.Write(ref _target, Consumed + count); // the previous batch was fully consumed
            for (var i = first; i < first + count; i++)
            {
                var writer = _channels[i % consumers].Writer;
                var message = Payload(i);
                if (!writer.TryWrite(message))
                {
                    await writer.WriteAsync(message);
                }
            }

            await drained.Task;
        }

        public void Complete()
        {
            foreach (var channel in _channels)
            {
                channel.Writer.TryComplete();
            }
        }
    }
}

/// <summary>The signals signals-local's agents handled: one shared counter.</summary>
internal sealed class SignalTally
{
    private long _handled;

    public long Handled => Interlocked.Read(ref _handled);

    public void OnHandled() => Interlocked.Increment(ref _handled);
}

/// <summary>signals-local's agent: counts the signals it handles in memory and saves nothing.</summary>
internal sealed class CountingAgent(SignalTally tally) : Agent
{
    private long _handled;

    protected override void Configure(AgentBehavior agent) => agent
        .On(SignalsLocalScenario.Topic, _ =>
        {
            _handled++;
            tally.OnHandled();
            return Task.CompletedTask;
        })
        .Answer<object?, long>("count", _ => Task.FromResult(_handled));
}
