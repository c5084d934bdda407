using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/*
 * One TCP connection (optionally under TLS) carrying frames both ways. Frame layout: Frame.cs;
 * hello exchange: Connection.Handshake.cs; protocol violations: Connection.Protocol.cs; writing:
 * FrameOutput.cs.
 *
 * Life: created by ConnectionFactory over a connected socket; HandshakeAsync exchanges hellos (no
 * other frame is accepted before); Start hands later frames to the handler on a reader loop; the
 * connection closes once, for the first of: the peer closing or resetting, a protocol violation, a
 * handler failure, a write failure, or a local DisposeAsync/Abort.
 *
 * Buffers
 *  - Received bytes belong to the PipeReader. A frame's body is a slice of them, handed to the
 *    handler without a copy and valid only during OnFrame: the loop advances past it right after.
 *  - A frame's header is checked before its body is awaited, so a peer cannot make us buffer more
 *    than the limit (HelloMessage.HandshakeFrameLimit before the handshake, MaxFrameSize after).
 *  - Outgoing bodies are written by the sender's FrameBodyWriter straight into the PipeWriter's
 *    buffer, on the writer (FrameOutput). The state object passed to TrySend belongs to the
 *    connection until its body writer or its OnFailed callback ran; exactly one of them runs,
 *    unless the connection fails after the bytes were buffered, in which case neither the frame nor
 *    a callback says so: OnClosed does (TCP can lose buffered bytes anyway).
 *
 * Why nothing here can deadlock: the reader loop never waits for the writer. Sends only queue;
 * after a batch of frames the reader may write what was queued itself, but a flush that cannot
 * complete at once (the peer's window is full) continues on the thread pool and the reader goes
 * back to reading. The writer waits only for the socket, and closing waits for the handler only
 * until the frame it is handling returns. See FrameOutput for the writer's own argument.
 *
 * Close: the first cause wins and is what OnClosed and Closed report. Sends are refused from then
 * on. An orderly close (DisposeAsync) or a protocol error first flushes what is queued (bounded by
 * CloseFlushTimeout; a protocol error queues an Error frame naming the reason), then the socket is
 * shut down and released, which also wakes a writer blocked on a full send buffer; the reader loop
 * ends; queued frames still unsent get OnFailed; the handler's OnClosed runs last, exactly once,
 * and only for a connection that completed its handshake.
 */

/// <summary>Which side opened a connection.</summary>
internal enum ConnectionDirection
{
    Inbound,
    Outbound,
}

/// <summary>A framed, handshaken TCP connection to a silo or client. Thread-safe for senders.</summary>
internal sealed partial class Connection : IAsyncDisposable
{
    // Receive and send buffer segments: large enough that a batch of small frames is one syscall.
    private const int ReceiveSegmentSize = 32 * 1024;
    private const int SendSegmentSize = 32 * 1024;
    // Frames handled between two flushes of what the handler sent (see FrameOutput on corking): large
    // enough that pipelined traffic is sent in few syscalls, small enough that the first answers of a
    // big batch of received frames do not wait long for the last ones.
    private const int CorkedFrames = 512;
    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(1);
    private static long _lastId;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly FrameOutput _output;
    private readonly NetworkingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readLoopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConnectionHandler? _handler;
    // Written once by the handshake, before RemoteHello is published; read only after it.
    private SiloAddress? _remoteSilo;
    private int _closing;
    private bool _readLoopStarted;

    public Connection(Socket socket, Stream stream, ConnectionDirection direction, NetworkingOptions options, ILogger logger, TimeProvider time)
    {
        _socket = socket;
        _stream = stream;
        _options = options;
        _logger = logger;
        _time = time;
        Direction = direction;
        RemoteEndPoint = socket.RemoteEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        LocalEndPoint = socket.LocalEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        Remote = RemoteEndPoint.ToString() ?? "?";
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReceiveSegmentSize, minimumReadSize: 2048, leaveOpen: true));
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: SendSegmentSize, leaveOpen: true));
        _output = new FrameOutput(pipe, options.MaxFrameSize, error => Abort(new ConnectionClosedException($"Writing to {Remote} failed: {error.Message}", error)), logger)
        {
            Remote = Remote,
        };
    }

    /// <summary>A process-wide number for logs.</summary>
    public long Id { get; } = Interlocked.Increment(ref _lastId);

    public ConnectionDirection Direction { get; }

    public EndPoint RemoteEndPoint { get; }

    public EndPoint LocalEndPoint { get; }

    /// <summary>The peer's hello; set once the handshake succeeded.</summary>
    public HelloMessage? RemoteHello { get; private set; }

    /// <summary>
    /// The peer as a silo address (a silo or gateway peer), parsed once at the handshake: senders
    /// name their target with it on every call. Throws, as <see cref="HelloMessage.SiloAddress"/>
    /// does, when the peer's hello carries no silo endpoint.
    /// </summary>
    public SiloAddress RemoteSilo => _remoteSilo ?? RemoteHello!.SiloAddress;

    /// <summary>Closing or closed: sends are refused.</summary>
    public bool IsClosed => Volatile.Read(ref _closing) != 0;

    /// <summary>Completes when the connection is closed and OnClosed ran, with the cause (null for an orderly local close).</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>Frames queued and not yet written (approximate).</summary>
    public int QueuedFrames => _output.QueuedCount;

    /// <summary>The remote endpoint as text, for log messages.</summary>
    internal string Remote { get; }

    /// <summary>
    /// Queues a frame whose body <paramref name="writeBody"/> writes when the frame is written (on
    /// the writer, possibly another thread). Never blocks. False when the connection is closed.
    /// </summary>
    public bool TrySend(FrameKind kind, FrameFlags flags, object? state, FrameBodyWriter writeBody, FrameSendFailed? onFailed = null) =>
        !IsClosed && _output.TrySend(new OutgoingFrame(kind, flags, state, writeBody, onFailed, default));

    /// <summary>Queues a frame with a ready body, copied when the frame is written: the memory must stay unchanged until then.</summary>
    public bool TrySend(FrameKind kind, FrameFlags flags, ReadOnlyMemory<byte> body) =>
        !IsClosed && _output.TrySend(new OutgoingFrame(kind, flags, null, null, null, body));

    /// <summary>Starts handing received frames to <paramref name="handler"/>. Call once, after the handshake.</summary>
    internal void Start(IConnectionHandler handler)
    {
        if (RemoteHello is null || _handler is not null)
        {
            throw new InvalidOperationException("A connection starts once, after its handshake.");
        }

        if (IsClosed)
        {
            // Lost between the handshake and now: Closed already says so, and there is nothing to read.
            return;
        }

        _handler = handler;
        _readLoopStarted = true;

        // On the thread pool: the caller may run under a grain's SynchronizationContext.
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>Closes at once: queued frames are dropped (their OnFailed runs). The handler sees <paramref name="reason"/>.</summary>
    public void Abort(Exception reason) => _ = CloseAsync(reason, flush: false);

    /// <summary>Orderly close: what is queued is flushed (bounded), then the connection closes; the handler sees no error.</summary>
    public async ValueTask DisposeAsync() => await CloseAsync(null, flush: true).ConfigureAwait(false);

    private async Task ReadLoopAsync()
    {
        var handler = _handler!;
        var limit = _options.MaxFrameSize;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                error = HandleFrames(ref buffer, handler, limit);
                if (error is not null)
                {
                    break;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    error = new ConnectionClosedException(buffer.IsEmpty
                        ? $"{Remote} closed the connection."
                        : $"{Remote} closed the connection in the middle of a frame ({buffer.Length} bytes of it received).");
                    break;
                }
            }
        }
        catch (Exception) when (IsClosed)
        {
            // Our own close released the socket under the read; the close's cause is what counts.
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
        {
            error = new ConnectionClosedException($"The connection with {Remote} was lost: {exception.Message}", exception);
        }
        catch (Exception exception)
        {
            LogReaderFailed(_logger, Remote, exception);
            error = exception;
        }
        finally
        {
            _readLoopDone.TrySetResult();
        }

        if (error is not null)
        {
            _ = CloseAsync(error, flush: error is not ConnectionClosedException);
        }
    }

    /// <summary>Hands every complete frame in <paramref name="buffer"/> to the handler, sends corked; returns why to close, if so.</summary>
    private Exception? HandleFrames(ref ReadOnlySequence<byte> buffer, IConnectionHandler handler, int limit)
    {
        _output.Cork();
        try
        {
            FrameStatus status;
            FrameHeader header;
            var corked = 0;
            while ((status = FrameParser.TryRead(ref buffer, limit, out header, out var body)) == FrameStatus.Complete)
            {
                if (++corked == CorkedFrames)
                {
                    _output.Uncork();
                    _output.Cork();
                    corked = 0;
                }

                if (header.Kind != FrameKind.Message)
                {
                    if (OnControlFrame(header, body) is { } stop)
                    {
                        return stop;
                    }

                    continue;
                }

                try
                {
                    handler.OnFrame(this, header, body);
                }
                catch (Exception exception)
                {
                    LogHandlerFailed(_logger, Remote, exception);
                    return exception;
                }
            }

            return status == FrameStatus.Incomplete ? null : OnBadFrame(status, header, limit, handshake: false);
        }
        finally
        {
            _output.Uncork();
        }
    }

    private async Task<Exception?> CloseAsync(Exception? error, bool flush)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return await _closed.Task.ConfigureAwait(false);
        }

        try
        {
            if (flush)
            {
                await _output.FlushQueuedAsync(CloseFlushTimeout).ConfigureAwait(false);
            }

            var reason = error ?? new ConnectionClosedException($"The connection with {Remote} was closed locally.");
            _output.Stop(reason);
            ReleaseSocket();
            _input.CancelPendingRead();
            if (_readLoopStarted)
            {
                await _readLoopDone.Task.ConfigureAwait(false);
            }

            await _output.CloseAsync().ConfigureAwait(false);
            await _input.CompleteAsync().ConfigureAwait(false);
            if (_handler is { } handler)
            {
                LogClosed(_logger, Id, Remote, error?.Message ?? "closed locally");
                try
                {
                    handler.OnClosed(this, error);
                }
                catch (Exception exception)
                {
                    LogOnClosedFailed(_logger, Remote, exception);
                }
            }
        }
        finally
        {
            _closed.TrySetResult(error);
        }

        return error;
    }

    private void ReleaseSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already reset by the peer or released: nothing left to shut down.
        }

        _stream.Dispose();
        _socket.Dispose();
    }

    public override string ToString() => $"connection {Id} {Direction} {Remote}";

    [LoggerMessage(3007, LogLevel.Error, "The frame handler failed on a frame from {Remote}; closing the connection")]
    private static partial void LogHandlerFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(3011, LogLevel.Error, "Reading from {Remote} failed unexpectedly; closing the connection")]
    private static partial void LogReaderFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(3009, LogLevel.Debug, "Connection {Id} with {Remote} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, long id, string remote, string reason);

    [LoggerMessage(3010, LogLevel.Error, "The close handler failed for the connection with {Remote}")]
    private static partial void LogOnClosedFailed(ILogger logger, string remote, Exception exception);
}
