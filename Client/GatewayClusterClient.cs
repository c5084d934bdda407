using System.Net;
using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.Core;
using Agents.Runtime.Membership;
using Agents.Runtime.Messaging;
using Agents.Runtime.Messaging.Remote;
using Agents.Runtime.Networking;
using Agents.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Client;

/*
 * A cluster client that reaches grains through a silo's gateway port; the gateway routes each call
 * to wherever the grain lives.
 *
 *  - One connection at a time, to the current gateway (GatewayList). Calls are written by the
 *    shared OutboundCalls machinery (serialization on the connection's writer, responses matched
 *    by correlation id, timeouts swept).
 *  - Failover: when the gateway connection is lost, every call in flight on it fails at once with
 *    SiloUnavailableException (the call may or may not have run; the caller decides whether to
 *    retry), and the next call connects to the next gateway. A gateway that cannot be reached is
 *    skipped at once (the connection manager reports its backoff instead of waiting).
 *  - Order: calls leave in the order they were made, also while a gateway connection is being
 *    opened: later calls wait behind that connect and follow the first in order; only when none
 *    waits do calls take the open connection directly again.
 *  - Grain interfaces map to grain types through the generated manifests the client process has
 *    (the assembly with the grain classes, or grain interfaces carrying [GrainType] naming).
 */
internal sealed partial class GatewayClusterClient : IClusterClient, IGrainCallRuntime, IConnectionHandler, IAsyncDisposable
{
    private readonly AgentsClientOptions _options;
    private readonly IMembershipTable? _table;
    private readonly ILogger _logger;
    private readonly PendingCallRegistry _pending;
    private readonly OutboundCalls _outbound;
    private readonly ConnectionManager _connections;
    private readonly GatewayList _gateways;
    private readonly Lazy<GrainFactory> _factory;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<GrainRequest> _waitingForGateway = new(); // calls behind a connect in flight; its own lock
    private volatile bool _connectingGateway; // written under _waitingForGateway's lock
    private Task? _refreshLoop;

    public GatewayClusterClient(
        IOptions<AgentsClientOptions> options,
        IOptions<NetworkingOptions> networking,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        IMembershipTable? table = null)
    {
        _options = options.Value;
        _table = table;
        _time = time;
        _logger = loggerFactory.CreateLogger("Agents.Client");
        _pending = new PendingCallRegistry(time, TimeSpan.FromMilliseconds(100), $"{AgentsClientOptions.SectionName}:ResponseTimeout");
        _outbound = new OutboundCalls(_pending, time, TimeSpan.FromMilliseconds(100), _logger);
        var hello = HelloMessage.Create(_options.ClusterId, _options.ClientName, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ConnectionRole.Client);
        _connections = new ConnectionManager(hello, this, networking.Value, loggerFactory, time);
        _gateways = new GatewayList(_options.Gateways);
        _connections.ConnectionLost += loss => _gateways.MovePast(loss.Remote);
        // Built on first use, not here: by then the assemblies with the application's grain
        // interfaces are loaded (the client is often created before any of their types is touched).
        _factory = new Lazy<GrainFactory>(() => new GrainFactory(new GrainTypeRegistry(GrainTypeRegistry.DefaultRoots()), this));
    }

    /// <summary>The gateways known now.</summary>
    public IReadOnlyList<EndPoint> Gateways => _gateways.All;

    /// <summary>The gateways the client keeps a connection to, or keeps reconnecting to (diagnostics and tests).</summary>
    internal IReadOnlyCollection<EndPoint> MaintainedGateways => _connections.Endpoints;

    /// <summary>The gateway the client is connected to, if it is connected.</summary>
    public EndPoint? ConnectedGateway => _gateways.Current is { } current && _connections.TryGetConnection(current, out _) ? current : null;

    /// <summary>Reads the gateway list and connects to a gateway; fails naming every gateway it tried.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await RefreshGatewaysAsync(cancellationToken).ConfigureAwait(false);
        if (_gateways.All.Count == 0)
        {
            throw new AgentsException(
                $"The client has no gateway to connect to: set {AgentsClientOptions.SectionName}:Gateways (host:port of a silo's gateway port) or register the cluster's membership table.");
        }

        await GetGatewayConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_table is not null)
        {
            _refreshLoop = RefreshPeriodicallyAsync();
        }
    }

    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey => _factory.Value.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(Guid key) where TGrainInterface : IGrainWithGuidKey => _factory.Value.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(long key) where TGrainInterface : IGrainWithIntegerKey => _factory.Value.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => _factory.Value.GetGrain<TGrainInterface>(grainId);

    public IStreamProvider GetStreamProvider(string name) => throw new NotSupportedException(
        $"Stream provider '{name}': streams are not reachable through a gateway client yet. Publish from a grain (call one that publishes), or host the code beside a silo and use its in-process client.");

    public void SendRequest(GrainReference target, GrainRequest request)
    {
        // After DisposeAsync nothing can be sent: say so, rather than as a silo that cannot be reached (which callers retry).
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        request.TargetId = target.GrainId;
        request.TargetReference = target;
        request.CallContext = RequestContext.CurrentData is { Items: { } items } ? new CallContextData(items, null) : null;
        if (request.Method.IsOneWay)
        {
            request.ReleaseCaller();
        }
        else
        {
            var timeout = request.Method.ResponseTimeout ?? _options.ResponseTimeout;
            request.Timeout = timeout;
            _pending.Track(request, timeout);
            request.RegisterCancellation();
        }

        Connection? connection;
        if (!_connectingGateway && _gateways.Current is { } gateway && _connections.TryGetConnection(gateway, out connection))
        {
            Send(connection, request);
            return;
        }

        lock (_waitingForGateway)
        {
            if (_connectingGateway)
            {
                _waitingForGateway.Enqueue(request);
                return;
            }

            // Connected since we looked, and nothing waits any more: sent below, outside the lock.
            if (_gateways.Current is not { } current || !_connections.TryGetConnection(current, out connection))
            {
                connection = null;
                _connectingGateway = true;
            }
        }

        if (connection is not null)
        {
            Send(connection, request);
            return;
        }

        _ = ConnectAndSendAsync(request);
    }

    /// <summary>Connects to a gateway, sends <paramref name="request"/>, then the calls that queued behind it, in order.</summary>
    private async Task ConnectAndSendAsync(GrainRequest request)
    {
        Connection? connection = null;
        Exception? failure = null;
        try
        {
            connection = await GetGatewayConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            failure = error is SiloUnavailableException ? error : new SiloUnavailableException(error.Message, error);
        }

        GrainRequest? next = request;
        while (next is not null)
        {
            if (connection is not null)
            {
                Send(connection, next);
            }
            else
            {
                // Each caller gets its own exception; the first gets the connect's own.
                _outbound.FailUnsent(next, ReferenceEquals(next, request) ? failure! : new SiloUnavailableException(failure!.Message, failure));
            }

            lock (_waitingForGateway)
            {
                if (!_waitingForGateway.TryDequeue(out next))
                {
                    _connectingGateway = false;
                }
            }
        }
    }

    // The table entry expires with the caller's own deadline, which Track has just computed from the same
    // clock and timeout (a one-way call has neither, and gets no entry).
    private void Send(Connection connection, GrainRequest request) =>
        _outbound.Send(connection, GatewayOf(connection), request, request.Method.IsOneWay ? null : request.PendingDeadline);

    /// <summary>A live connection to the current gateway, or to the next one that answers.</summary>
    private async Task<Connection> GetGatewayConnectionAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var gateway in _gateways.InOrder().ToArray())
        {
            try
            {
                var connection = await _connections.GetConnectionAsync(gateway, cancellationToken).ConfigureAwait(false);
                _gateways.Use(gateway);
                return connection;
            }
            catch (ConnectionException error)
            {
                errors.Add($"{gateway}: {error.Message}");
            }
        }

        throw new SiloUnavailableException($"No gateway of cluster '{_options.ClusterId}' could be reached: {string.Join("; ", errors)}");
    }

    private static SiloAddress GatewayOf(Connection connection) => connection.RemoteSilo;

    public void OnFrame(Connection connection, FrameHeader header, in System.Buffers.ReadOnlySequence<byte> body)
    {
        if ((header.Flags & MessageFlags.Response) == 0 || (header.Flags & MessageFlags.System) != 0)
        {
            throw new ProtocolException($"a gateway sent a message frame with flags 0x{(byte)header.Flags:X2}; a client takes only responses");
        }

        _outbound.OnResponse(body);
    }

    public void OnClosed(Connection connection, Exception? error)
    {
        if (connection.RemoteHello is null)
        {
            return;
        }

        var gateway = GatewayOf(connection);
        LogGatewayLost(_logger, connection.RemoteEndPoint, error?.Message ?? "closed");
        _outbound.FailAll(gateway, anyGeneration: false, error is null ? "closed the connection" : $"lost its connection ({error.Message})");
    }

    private async Task RefreshGatewaysAsync(CancellationToken cancellationToken)
    {
        if (_table is null)
        {
            return;
        }

        await _table.InitializeAsync(cancellationToken).ConfigureAwait(false);
        foreach (var gone in _gateways.Update(await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false)))
        {
            // Its silo is dead: stop reconnecting to it (a rolling deploy would otherwise leave a loop per old address).
            await _connections.ForgetAsync(gone).ConfigureAwait(false);
        }
    }

    private async Task RefreshPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(_options.GatewayRefreshPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await RefreshGatewaysAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    LogRefreshFailed(_logger, error.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is not null)
        {
            await _refreshLoop.ConfigureAwait(false);
        }

        await _connections.DisposeAsync().ConfigureAwait(false);
        _outbound.FailAll("the client is closing");
        _outbound.Dispose();
        _pending.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(4000, LogLevel.Warning, "Lost the gateway {Gateway} ({Reason}); calls in flight on it fail, the next call uses another gateway")]
    private static partial void LogGatewayLost(ILogger logger, EndPoint gateway, string reason);

    [LoggerMessage(4001, LogLevel.Warning, "Could not re-read the gateway list from the membership table ({Reason}); keeping the current list")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
