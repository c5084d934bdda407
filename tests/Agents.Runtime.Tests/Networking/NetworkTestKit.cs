using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Agents.Runtime.Networking;
using Agents.Runtime.Testing;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Tests.Networking;

/// <summary>A received frame, copied out of the receive buffer.</summary>
internal sealed record ReceivedFrame(Connection Connection, FrameHeader Header, byte[] Body);

/// <summary>Records every frame and every close; optionally echoes each frame back.</summary>
internal sealed class RecordingHandler(bool echo = false) : IConnectionHandler
{
    private readonly Channel<ReceivedFrame> _frames = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly ConcurrentQueue<(Connection Connection, Exception? Error)> _closed = new();

    public IReadOnlyCollection<(Connection Connection, Exception? Error)> Closed => _closed;

    public void OnFrame(Connection connection, FrameHeader header, in ReadOnlySequence<byte> body)
    {
        var copy = body.ToArray();
        if (echo)
        {
            connection.TrySend(FrameKind.Message, header.Flags, copy);
        }

        _frames.Writer.TryWrite(new ReceivedFrame(connection, header, copy));
    }

    public void OnClosed(Connection connection, Exception? error) => _closed.Enqueue((connection, error));

    public async Task<ReceivedFrame> NextAsync() => await _frames.Reader.ReadAsync().AsTask().WaitAsync(NetworkTestKit.Patience);

    public async Task<List<ReceivedFrame>> NextAsync(int count)
    {
        var frames = new List<ReceivedFrame>(count);
        while (frames.Count < count)
        {
            frames.Add(await NextAsync());
        }

        return frames;
    }
}

/// <summary>Listeners, managers and raw sockets on 127.0.0.1 for the transport tests; disposes everything it made.</summary>
internal sealed class NetworkTestKit : IAsyncDisposable
{
    /// <summary>Upper bound of every wait in these tests; reaching it is a failure, never a pass.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public const string ClusterId = "net-test";

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _sockets = [];
    private readonly ILoggerFactory _loggerFactory;

    public NetworkTestKit() => _loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs));

    public CapturedLogs Logs { get; } = new();

    public ILoggerFactory LoggerFactory => _loggerFactory;

    public static HelloMessage SiloHello(string clusterId = ClusterId, int port = 1) =>
        HelloMessage.ForSilo(clusterId, new SiloAddress("127.0.0.1", port, 42));

    public static HelloMessage ClientHello(string clusterId = ClusterId) =>
        HelloMessage.Create(clusterId, "test-client", 7, ConnectionRole.Client);

    public static NetworkingOptions Options(Action<NetworkingOptions>? configure = null)
    {
        var options = new NetworkingOptions
        {
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        return options;
    }

    public ConnectionListener Listen(IConnectionHandler handler, NetworkingOptions? options = null, int port = 0, ConnectionRole roles = ConnectionRole.Silo | ConnectionRole.Client)
    {
        var listener = new ConnectionListener(new IPEndPoint(IPAddress.Loopback, port), SiloHello(), roles, handler, options ?? Options(), _loggerFactory);
        listener.Start();
        _owned.Add(listener);
        return listener;
    }

    public ConnectionManager Manager(IConnectionHandler handler, NetworkingOptions? options = null, HelloMessage? hello = null)
    {
        var manager = new ConnectionManager(hello ?? SiloHello(port: 2), handler, options ?? Options(), _loggerFactory);
        _owned.Add(manager);
        return manager;
    }

    public ConnectionFactory Factory(NetworkingOptions? options = null) => new(options ?? Options(), _loggerFactory);

    /// <summary>A plain TCP socket connected to <paramref name="endpoint"/>, for peers that do not speak our protocol.</summary>
    public async Task<Socket> RawSocketAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _sockets.Add(socket);
        await socket.ConnectAsync(endpoint).WaitAsync(Patience);
        return socket;
    }

    /// <summary>Bytes of a whole frame as a foreign implementation would write them.</summary>
    public static byte[] EncodeFrame(FrameKind kind, ReadOnlySpan<byte> body)
    {
        var frame = new byte[FrameHeader.Size + body.Length];
        FrameHeader.Write(frame, frame.Length, kind, FrameFlags.None);
        body.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    public static byte[] EncodeHello(HelloMessage hello)
    {
        var body = new ArrayBufferWriter<byte>();
        hello.WriteTo(body);
        return EncodeFrame(FrameKind.Hello, body.WrittenSpan);
    }

    /// <summary>Reads until the peer closes; returns what arrived (the peer's last words, e.g. an Error frame).</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }

        return [.. received];
    }

    /// <summary>Waits (bounded) until a log entry contains every fragment; returns it.</summary>
    public async Task<CapturedLogEntry> LogAsync(params string[] fragments)
    {
        CapturedLogEntry? found = null;
        await Eventually.HoldsAsync(
            () => (found = Logs.Entries.FirstOrDefault(e => fragments.All(f => e.Message.Contains(f, StringComparison.Ordinal)))) is not null,
            $"a log line containing {string.Join(" + ", fragments.Select(f => $"'{f}'"))}; got:\n{string.Join("\n", Logs.Entries.Select(e => e.Message))}",
            Patience);
        return found!;
    }

    /// <summary>A frame round trip through an echoing listener, proving the connection works.</summary>
    public static async Task AssertEchoesAsync(Connection connection, RecordingHandler replies, byte[] body)
    {
        Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, body));
        var reply = await replies.NextAsync();
        Assert.Equal(body, reply.Body);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync().AsTask().WaitAsync(Patience);
        }

        _loggerFactory.Dispose();
    }
}
