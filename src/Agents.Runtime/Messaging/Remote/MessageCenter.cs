using System.Collections.Concurrent;
using System.Net;
using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.Networking;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Messaging.Remote;

/*
 * A silo's end of the wire: the silo port (other silos), the gateway port (clients), outbound
 * connections to other silos, and the messages on them (RemoteMessages.cs).
 *
 *  - Calls this silo makes to grains elsewhere go out on its own outbound connection to the
 *    target silo (one per silo, kept by the ConnectionManager); their responses come back on it.
 *  - Calls that arrive (on any connection) are decoded on the connection's reader loop, handed to
 *    the router, and answered on the connection they came in on.
 *  - A connection's generation check: a silo address names one incarnation. When the process at
 *    the endpoint is a later incarnation, the one the call was for is gone: SiloUnavailableException.
 *  - Order: calls to one silo leave in the order they were made, also while the connection to it
 *    is being opened: later calls wait in that connect's queue and follow the first in order, and
 *    only when the queue is empty do calls take the open connection directly again.
 *  - Loss: when an outbound connection closes, every call in flight on it fails at once
 *    (SiloUnavailableException) and the manager reconnects with backoff; the membership protocol
 *    decides whether the silo is dead, and then ForgetSilo stops the reconnecting.
 *
 * Bad input never takes the silo down: a request whose header cannot be read, or a frame the
 * protocol does not have, closes that one connection with a logged reason (the peer is broken or
 * hostile); a request whose arguments cannot be read (an unknown or disallowed type name, a
 * malformed value) is refused with a logged line and an exception response, and the connection
 * carries on.
 */
internal sealed partial class MessageCenter : IConnectionHandler, IAsyncDisposable
{
    private readonly GrainCatalog _catalog;
    private readonly NetworkingOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConnectionManager _connections;
    private readonly ConcurrentDictionary<SiloAddress, EndPoint> _endpoints = new();
    private readonly Dictionary<EndPoint, Queue<(SiloAddress Target, GrainRequest Request)>> _connecting = []; // its own lock
    private volatile int _connectingCount; // _connecting.Count, readable without the lock
    private readonly ReplySink _replies;
    private ConnectionListener? _siloListener;
    private ConnectionListener? _gatewayListener;
    private int _disposed;

    public MessageCenter(GrainCatalog catalog, string clusterId, SiloAddress self, NetworkingOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _catalog = catalog;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger("Agents.Runtime.Messaging");
        ClusterId = clusterId;
        Self = self;
        Hello = HelloMessage.ForSilo(clusterId, self);
        Outbound = new OutboundCalls(catalog.PendingCalls, time, catalog.Options.ResponseTimeoutCheckPeriod, _logger);
        _connections = new ConnectionManager(Hello, this, options, loggerFactory, time);
        _replies = new ReplySink(this);
    }

    public string ClusterId { get; }

    public SiloAddress Self { get; }

    internal HelloMessage Hello { get; }

    public OutboundCalls Outbound { get; }

    /// <summary>Where an arriving request goes; <c>fromClient</c> tells calls through the gateway from calls between silos.</summary>
    public Action<GrainRequest, bool> RouteIncoming { get; set; } = null!;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<SystemOperation, Func<SystemOperation, SystemPayload, ValueTask<SystemPayload>>> _systemHandlers = new();

    /// <summary>Makes <paramref name="handler"/> answer <paramref name="operations"/> (those other than ping: the grain directory's, the reminder service's).</summary>
    public void AddSystemHandler(Func<SystemOperation, SystemPayload, ValueTask<SystemPayload>> handler, params ReadOnlySpan<SystemOperation> operations)
    {
        foreach (var operation in operations)
        {
            if (!_systemHandlers.TryAdd(operation, handler))
            {
                throw new InvalidOperationException($"System operation {operation} already has a handler.");
            }
        }
    }

    /// <summary>The gateway port actually listened on, 0 when the silo is not a gateway.</summary>
    public int GatewayPort => _gatewayListener?.LocalEndPoint.Port ?? 0;

    /// <summary>Clients connected through the gateway now.</summary>
    public int ClientCount => _gatewayListener?.Connections.Count ?? 0;

    /// <summary>Starts accepting silos on <paramref name="siloSocket"/> and, when there is one, clients on <paramref name="gatewaySocket"/> (both bound by <see cref="ConnectionListener.Bind"/>).</summary>
    public void Start(System.Net.Sockets.Socket siloSocket, System.Net.Sockets.Socket? gatewaySocket)
    {
        _siloListener = new ConnectionListener((IPEndPoint)siloSocket.LocalEndPoint!, Hello, ConnectionRole.Silo, this, _options, _loggerFactory, _time);
        _siloListener.Start(siloSocket);
        if (gatewaySocket is not null)
        {
            _gatewayListener = new ConnectionListener((IPEndPoint)gatewaySocket.LocalEndPoint!, Hello, ConnectionRole.Client, this, _options, _loggerFactory, _time);
            _gatewayListener.Start(gatewaySocket);
        }
    }

    /// <summary>Sends a call to a grain on <paramref name="target"/>. Never throws: failures complete the caller.</summary>
    public void SendRequest(SiloAddress target, GrainRequest request)
    {
        var endpoint = EndpointOf(target);
        Connection? connection;
        if (_connectingCount == 0 && _connections.TryGetConnection(endpoint, out connection))
        {
            SendOn(connection, target, request);
            return;
        }

        lock (_connecting)
        {
            if (_connecting.TryGetValue(endpoint, out var waiting))
            {
                waiting.Enqueue((target, request));
                return;
            }

            // Opened since we looked, and nothing waits for it any more: sent below, outside the lock.
            if (!_connections.TryGetConnection(endpoint, out connection))
            {
                _connecting.Add(endpoint, new Queue<(SiloAddress, GrainRequest)>());
                _connectingCount = _connecting.Count;
            }
        }

        if (connection is not null)
        {
            SendOn(connection, target, request);
            return;
        }

        _ = ConnectAndSendAsync(endpoint, target, request);
    }

    /// <summary>Opens the connection to <paramref name="endpoint"/>, sends <paramref name="request"/> on it, then the calls that queued behind it.</summary>
    private async Task ConnectAndSendAsync(EndPoint endpoint, SiloAddress target, GrainRequest request)
    {
        Connection? connection = null;
        Exception? failure = null;
        try
        {
            connection = await _connections.GetConnectionAsync(endpoint).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            failure = error;
        }

        (SiloAddress Target, GrainRequest Request)? next = (target, request);
        while (next is var (to, call))
        {
            if (connection is not null)
            {
                SendOn(connection, to, call);
            }
            else
            {
                Outbound.FailUnsent(call, new SiloUnavailableException($"{call} could not be sent: silo {to} is unreachable ({failure!.Message}).", failure));
            }

            lock (_connecting)
            {
                if (_connecting[endpoint].TryDequeue(out var queued))
                {
                    next = queued;
                }
                else
                {
                    // The last queued call is out: from now on calls take the connection directly (or connect afresh).
                    next = null;
                    _connecting.Remove(endpoint);
                    _connectingCount = _connecting.Count;
                }
            }
        }
    }

    private void SendOn(Connection connection, SiloAddress target, GrainRequest request)
    {
        if (connection.RemoteHello!.Generation != target.Generation)
        {
            Outbound.FailUnsent(request, new SiloUnavailableException(
                $"{request} could not be sent: silo {target} is gone; {connection.RemoteHello.Address}@{connection.RemoteHello.Generation} runs at its endpoint now."));
            return;
        }

        Outbound.Send(connection, target, request);
    }

    /// <summary>The silo is dead: fail what is in flight to it and stop reconnecting.</summary>
    public Task ForgetSiloAsync(SiloAddress silo)
    {
        Outbound.FailAll(silo, anyGeneration: false, "was declared dead");
        var endpoint = EndpointOf(silo);
        _endpoints.TryRemove(silo, out _);
        return _connections.ForgetAsync(endpoint);
    }

    internal EndPoint EndpointOf(SiloAddress silo) =>
        _endpoints.GetOrAdd(silo, static s => HelloMessage.EndPointOf(s.Host, s.Port));

    public void OnFrame(Connection connection, FrameHeader header, in System.Buffers.ReadOnlySequence<byte> body)
    {
        var flags = header.Flags;
        if ((flags & MessageFlags.System) != 0)
        {
            if ((flags & MessageFlags.Response) != 0)
            {
                OnSystemResponse(body);
            }
            else
            {
                OnSystemRequest(connection, body);
            }
        }
        else if ((flags & MessageFlags.Response) != 0)
        {
            Outbound.OnResponse(body);
        }
        else if ((flags & MessageFlags.Request) != 0)
        {
            OnRequest(connection, (flags & MessageFlags.OneWay) != 0, body);
        }
        else
        {
            throw new ProtocolException($"a message frame with flags 0x{(byte)flags:X2}, which name no message this silo knows");
        }
    }

    public void OnClosed(Connection connection, Exception? error)
    {
        if (connection.Direction == ConnectionDirection.Outbound && connection.RemoteHello is not null)
        {
            var silo = connection.RemoteSilo;
            var reason = error is null ? "closed the connection" : $"lost its connection ({error.Message})";
            Outbound.FailAll(silo, anyGeneration: false, reason);
            FailSystemCalls(silo, reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_gatewayListener is not null)
        {
            await _gatewayListener.DisposeAsync().ConfigureAwait(false);
        }

        if (_siloListener is not null)
        {
            await _siloListener.DisposeAsync().ConfigureAwait(false);
        }

        await _connections.DisposeAsync().ConfigureAwait(false);
        Outbound.FailAll("the silo is stopping");
        FailAllSystemCalls("the silo is stopping");
        Outbound.Dispose();
    }
}
