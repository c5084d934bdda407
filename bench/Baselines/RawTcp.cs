using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Agents.Bench.Baselines;

/// <summary>
/// The raw loopback TCP baseline: a hand-written System.IO.Pipelines ping-pong with no framing
/// library, no send queue and no handshake. Messages are 16 bytes (a 4-byte length prefix and a
/// payload), the size of one of our frames with an 8-byte body, so both carry the same bytes. The
/// server echoes every complete message of a read and flushes once per read, as a careful
/// hand-written server would.
/// </summary>
internal static class RawTcp
{
    public const int MessageSize = 16;

    /// <summary>One client awaiting each echo before sending the next message.</summary>
    public static async Task<RoundTripFigures> SequentialAsync(TimeSpan warmup, TimeSpan duration)
    {
        await using var pair = await Pair.OpenAsync();
        var message = new byte[MessageSize];
        BinaryPrimitives.WriteInt32LittleEndian(message, MessageSize);
        return await RoundTrips.SequentialAsync("raw tcp sequential", async () =>
        {
            await pair.Output.WriteAsync(message);
            while (true)
            {
                var result = await pair.Input.ReadAsync();
                if (result.Buffer.Length >= MessageSize)
                {
                    pair.Input.AdvanceTo(result.Buffer.GetPosition(MessageSize));
                    return;
                }

                pair.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }, warmup, duration);
    }

    /// <summary>One client keeping <paramref name="outstanding"/> messages in flight: each read's echoes are answered with as many new messages, one flush.</summary>
    public static async Task<double> PipelinedAsync(int outstanding, TimeSpan warmup, TimeSpan duration)
    {
        await using var pair = await Pair.OpenAsync();
        using var stop = new CancellationTokenSource();
        long completed = 0;
        var client = Task.Run(async () =>
        {
            WriteMessages(pair.Output, outstanding);
            await pair.Output.FlushAsync();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var result = await pair.Input.ReadAsync(stop.Token);
                    var buffer = result.Buffer;
                    var answered = 0;

                    // Each reply is parsed and answered on its own, as a client matching replies to
                    // requests would; the new requests go out with one flush per read.
                    while (TryReadMessage(ref buffer, out _))
                    {
                        WriteMessages(pair.Output, 1);
                        answered++;
                    }

                    pair.Input.AdvanceTo(buffer.Start, buffer.End);
                    if (answered > 0)
                    {
                        Volatile.Write(ref completed, completed + answered);
                        await pair.Output.FlushAsync();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var perSecond = await RoundTrips.PipelinedAsync($"raw tcp {outstanding} outstanding", () => Volatile.Read(ref completed), warmup, duration);
        await stop.CancelAsync();
        await client;
        return perSecond;
    }

    /// <summary>Takes one length-prefixed message off the front of <paramref name="buffer"/>, if it is all there.</summary>
    private static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        int length;
        if (buffer.FirstSpan.Length >= 4)
        {
            length = BinaryPrimitives.ReadInt32LittleEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(prefix);
            length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        }

        if (buffer.Length < length)
        {
            return false;
        }

        message = buffer.Slice(0, length);
        buffer = buffer.Slice(message.End);
        return true;
    }

    private static void WriteMessages(PipeWriter output, int count)
    {
        var span = output.GetSpan(count * MessageSize)[..(count * MessageSize)];
        span.Clear();
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(i * MessageSize)..], MessageSize);
        }

        output.Advance(count * MessageSize);
    }

    /// <summary>A connected client and an echoing server on 127.0.0.1.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _client;
        private readonly Socket _server;
        private readonly Stream _clientStream;
        private readonly Stream _serverStream;
        private readonly Task _echo;

        private Pair(Socket listener, Socket client, Socket server)
        {
            _listener = listener;
            _client = client;
            _server = server;
            _clientStream = new NetworkStream(client);
            _serverStream = new NetworkStream(server);
            Input = PipeReader.Create(_clientStream);
            Output = PipeWriter.Create(_clientStream);
            _echo = Task.Run(() => EchoAsync(PipeReader.Create(_serverStream), PipeWriter.Create(_serverStream)));
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        public static async Task<Pair> OpenAsync()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accept = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint!);
            var server = await accept;
            server.NoDelay = true;
            return new Pair(listener, client, server);
        }

        private static async Task EchoAsync(PipeReader input, PipeWriter output)
        {
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync();
                    var buffer = result.Buffer;
                    while (TryReadMessage(ref buffer, out var message))
                    {
                        foreach (var segment in message)
                        {
                            output.Write(segment.Span);
                        }
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                    await output.FlushAsync();
                    if (result.IsCompleted)
                    {
                        return;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
            {
                // The client went away: the run is over.
            }
        }


        public async ValueTask DisposeAsync()
        {
            _client.Shutdown(SocketShutdown.Both);
            _client.Dispose();
            await _echo;
            _server.Dispose();
            _listener.Dispose();
            await _clientStream.DisposeAsync();
            await _serverStream.DisposeAsync();
        }
    }
}
