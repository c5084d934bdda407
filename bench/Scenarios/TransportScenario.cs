using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Threading.Tasks.Sources;
using Agents.Bench.Baselines;
using Agents.Runtime.Networking;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Bench.Scenarios;

/// <summary>
/// Our TCP transport alone (no codec, no grains): frames with an 8-byte body through a
/// <see cref="ConnectionManager"/> connection to a <see cref="ConnectionListener"/> that echoes
/// them, against the raw Pipelines ping-pong with messages of the same size. Sequential: one caller
/// awaiting each echo (p50/p99 and the latency ratio); pipelined: 256 frames kept in flight
/// (throughput ratio, the figure of the result). The cross-silo call targets (p50 ≤ 2× raw,
/// 256 outstanding ≥ 1/4 of raw) apply to whole calls; the transport must leave them room.
/// </summary>
internal static class TransportScenario
{
    private const int Outstanding = 256;
    private const int BodySize = RawTcp.MessageSize - FrameHeader.Size;
    private static readonly byte[] Body = new byte[BodySize];

    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        Console.Error.WriteLine("transport: baseline (raw Pipelines TCP ping-pong, 16-byte messages)");
        var rawSequential = await RawTcp.SequentialAsync(settings.Warmup, settings.Duration);
        var rawPipelined = await RawTcp.PipelinedAsync(Outstanding, settings.Warmup, settings.Duration);

        Console.Error.WriteLine("transport: ours (ConnectionManager → ConnectionListener, echo handler, 16-byte frames)");
        var sequential = await SequentialAsync(settings);
        var pipelined = await PipelinedAsync(settings);

        return new BenchResult("transport", pipelined, rawPipelined, pipelined / rawPipelined, "round trips/s")
        {
            P50Us = sequential.P50Us,
            P99Us = sequential.P99Us,
            BaselineP50Us = rawSequential.P50Us,
            BaselineP99Us = rawSequential.P99Us,
            Details = new()
            {
                ["seq_round_trips_per_s"] = sequential.PerSecond,
                ["baseline_seq_round_trips_per_s"] = rawSequential.PerSecond,
                ["seq_ratio"] = sequential.PerSecond / rawSequential.PerSecond,
                ["seq_p50_x_raw"] = sequential.P50Us / rawSequential.P50Us,
                ["seq_p99_x_raw"] = sequential.P99Us / rawSequential.P99Us,
                ["outstanding"] = Outstanding,
            },
        };
    }

    private static async Task<RoundTripFigures> SequentialAsync(BenchSettings settings)
    {
        var replies = new ReplyWaiter();
        await using var endpoints = await Endpoints.OpenAsync(replies);
        var connection = endpoints.Connection;
        return await RoundTrips.SequentialAsync("transport sequential", () =>
        {
            var reply = replies.Next();
            connection.TrySend(FrameKind.Message, FrameFlags.None, Body);
            return reply;
        }, settings.Warmup, settings.Duration);
    }

    private static async Task<double> PipelinedAsync(BenchSettings settings)
    {
        var replies = new RefillingCounter();
        await using var endpoints = await Endpoints.OpenAsync(replies);
        for (var i = 0; i < Outstanding; i++)
        {
            endpoints.Connection.TrySend(FrameKind.Message, FrameFlags.None, Body);
        }

        var perSecond = await RoundTrips.PipelinedAsync($"transport {Outstanding} outstanding", () => Volatile.Read(ref replies.Completed), settings.Warmup, settings.Duration);
        replies.Stopped = true;
        return perSecond;
    }

    /// <summary>A listener with an echo handler and a manager connected to it.</summary>
    private sealed class Endpoints : IAsyncDisposable
    {
        private readonly ConnectionListener _listener;
        private readonly ConnectionManager _manager;

        private Endpoints(ConnectionListener listener, ConnectionManager manager, Connection connection)
        {
            _listener = listener;
            _manager = manager;
            Connection = connection;
        }

        public Connection Connection { get; }

        public static async Task<Endpoints> OpenAsync(IConnectionHandler replies)
        {
            var options = new NetworkingOptions();
            var logs = NullLoggerFactory.Instance;
            var listener = new ConnectionListener(new IPEndPoint(IPAddress.Loopback, 0), HelloMessage.ForSilo("bench", new SiloAddress("127.0.0.1", 1, 1)),
                ConnectionRole.Silo, new EchoHandler(), options, logs);
            listener.Start();
            var manager = new ConnectionManager(HelloMessage.ForSilo("bench", new SiloAddress("127.0.0.1", 2, 1)), replies, options, logs);
            return new Endpoints(listener, manager, await manager.GetConnectionAsync(listener.LocalEndPoint));
        }

        public async ValueTask DisposeAsync()
        {
            await _manager.DisposeAsync();
            await _listener.DisposeAsync();
        }
    }

    /// <summary>Echoes each frame; the body is copied into a pooled array and written from there (no allocation per frame).</summary>
    private sealed class EchoHandler : IConnectionHandler
    {
        public void OnFrame(Connection connection, FrameHeader header, in ReadOnlySequence<byte> body)
        {
            var copy = ArrayPool<byte>.Shared.Rent((int)body.Length + 4);
            BinaryPrimitives.WriteInt32LittleEndian(copy, (int)body.Length);
            body.CopyTo(copy.AsSpan(4));
            connection.TrySend(FrameKind.Message, header.Flags, copy, static (state, output) =>
            {
                var array = (byte[])state!;
                output.Write(array.AsSpan(4, BinaryPrimitives.ReadInt32LittleEndian(array)));
                ArrayPool<byte>.Shared.Return(array);
            });
        }

        public void OnClosed(Connection connection, Exception? error)
        {
        }
    }

    /// <summary>The sequential caller's reply: a reusable awaitable completed on the reader loop (no allocation per round trip).</summary>
    private sealed class ReplyWaiter : IConnectionHandler, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public ValueTask Next() => new(this, _core.Version);

        public void OnFrame(Connection connection, FrameHeader header, in ReadOnlySequence<byte> body) => _core.SetResult(true);

        public void OnClosed(Connection connection, Exception? error)
        {
        }

        public void GetResult(short token)
        {
            _core.GetResult(token);
            _core.Reset();
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>Counts echoes and answers each with a new frame, keeping the number in flight constant.</summary>
    private sealed class RefillingCounter : IConnectionHandler
    {
        public long Completed;
        public volatile bool Stopped;

        public void OnFrame(Connection connection, FrameHeader header, in ReadOnlySequence<byte> body)
        {
            Volatile.Write(ref Completed, Completed + 1);
            if (!Stopped)
            {
                connection.TrySend(FrameKind.Message, FrameFlags.None, Body);
            }
        }

        public void OnClosed(Connection connection, Exception? error)
        {
        }
    }
}
