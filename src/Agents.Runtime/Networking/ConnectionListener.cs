using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/// <summary>
/// Accepts connections on one endpoint (a silo's silo port or gateway port). Each accepted socket
/// goes through TLS (when enabled) and the hello exchange on its own task, so a slow, silent or
/// misbehaving peer holds up nobody else: it is refused or timed out, logged, and the listener goes
/// on serving. Connections that complete the handshake hand their frames to the handler.
/// </summary>
internal sealed partial class ConnectionListener : IAsyncDisposable
{
    private const int Backlog = 512;

    private readonly IPEndPoint _endpoint;
    private readonly HelloMessage _local;
    private readonly ConnectionRole _acceptedRoles;
    private readonly IConnectionHandler _handler;
    private readonly ConnectionFactory _factory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();
    private Socket? _socket;
    private Task? _acceptLoop;

    /// <summary>
    /// A listener on <paramref name="endpoint"/> (port 0 picks a free port, see <see cref="LocalEndPoint"/>)
    /// that answers accepted peers with <paramref name="local"/> and admits the <paramref name="acceptedRoles"/>:
    /// silos on the silo port, clients on the gateway port.
    /// </summary>
    public ConnectionListener(
        IPEndPoint endpoint,
        HelloMessage local,
        ConnectionRole acceptedRoles,
        IConnectionHandler handler,
        NetworkingOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider? time = null)
    {
        _endpoint = endpoint;
        _local = local;
        _acceptedRoles = acceptedRoles;
        _handler = handler;
        _time = time ?? TimeProvider.System;
        _factory = new ConnectionFactory(options, loggerFactory, _time);
        _logger = _factory.Logger;
    }

    /// <summary>The endpoint actually listened on (the real port when 0 was asked for). Valid after <see cref="Start"/>.</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Connections that completed their handshake and are not closed yet.</summary>
    public IReadOnlyCollection<Connection> Connections => [.. _connections.Keys];

    /// <summary>
    /// Binds a listening socket to <paramref name="endpoint"/> without accepting yet (port 0: a free
    /// port, fixed from now on), so its address can be announced before <see cref="Start"/>.
    /// Throws <see cref="SocketException"/> when the endpoint is taken.
    /// </summary>
    public static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // A restarted silo must be able to listen again on its port while connections of its
                // previous life linger in TIME_WAIT: SO_REUSEADDR. Set raw, because .NET's ReuseAddress
                // also sets SO_REUSEPORT on Linux, which would let a second listener share the port and
                // take half its connections. (On Windows the option would allow port stealing.)
                const int SolSocket = 1, SoReuseAddr = 2;
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            }

            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts accepting on <paramref name="bound"/> (from <see cref="Bind"/>), or binds the listener's
    /// endpoint first. Throws <see cref="SocketException"/> when the endpoint is taken.
    /// </summary>
    public void Start(Socket? bound = null)
    {
        if (_socket is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        Socket socket;
        try
        {
            socket = bound ?? Bind(_endpoint);
        }
        catch (SocketException exception)
        {
            LogBindFailed(_logger, _endpoint, exception.Message);
            throw;
        }

        try
        {
            socket.Listen(Backlog);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            LogBindFailed(_logger, _endpoint, exception.Message);
            throw;
        }

        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        LogListening(_logger, LocalEndPoint, _acceptedRoles);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var socket = _socket!;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException exception)
            {
                // Out of file descriptors, a connection reset while queued...: this one is lost, not the listener.
                LogAcceptFailed(_logger, LocalEndPoint, exception.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            var handshake = AcceptOneAsync(accepted);
            _handshakes.TryAdd(handshake, 0);
            _ = handshake.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, byte>)s!).TryRemove(t, out _), _handshakes,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task AcceptOneAsync(Socket socket)
    {
        Connection connection;
        try
        {
            connection = await _factory.AcceptAsync(socket, _local, _acceptedRoles, _stopping.Token).ConfigureAwait(false);
        }
        catch (ConnectionException)
        {
            // Refused, timed out or malformed: the connection logged the reason and closed.
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception exception)
        {
            LogAcceptFailed(_logger, LocalEndPoint, exception.Message);
            return;
        }

        if (_stopping.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        _connections.TryAdd(connection, 0);
        _ = connection.Closed.ContinueWith(static (t, s) => { var (listener, c) = ((ConnectionListener, Connection))s!; listener._connections.TryRemove(c, out _); },
            (this, connection), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        connection.Start(_handler);
    }

    /// <summary>Stops accepting, abandons handshakes in progress, and closes every connection (flushing what they queued).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        await Task.WhenAll(_handshakes.Keys).ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        _stopping.Dispose();
        if (_socket is not null)
        {
            LogStopped(_logger, LocalEndPoint);
        }
    }

    [LoggerMessage(3040, LogLevel.Information, "Listening on {EndPoint} for {Roles}")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint, ConnectionRole roles);

    [LoggerMessage(3041, LogLevel.Error, "Cannot listen on {EndPoint}: {Reason}")]
    private static partial void LogBindFailed(ILogger logger, IPEndPoint endPoint, string reason);

    [LoggerMessage(3042, LogLevel.Warning, "Accepting a connection on {EndPoint} failed: {Reason}; still listening")]
    private static partial void LogAcceptFailed(ILogger logger, IPEndPoint endPoint, string reason);

    [LoggerMessage(3043, LogLevel.Information, "Stopped listening on {EndPoint}")]
    private static partial void LogStopped(ILogger logger, IPEndPoint endPoint);
}
