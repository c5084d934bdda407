using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Membership;
using Agents.Runtime.Messaging.Remote;
using Agents.Runtime.Networking;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/*
 * A silo's membership in a cluster, started and stopped with the host.
 *
 * Start: listen (silo port, gateway port) → join through the membership table (Joining, probe the
 * Active silos over the wire, Active) → take the view (ring, placement) → background work
 * (heartbeats, refreshes, probes). Grain calls are routed through the cluster from the moment the
 * catalog knows the router; until the view has this silo's ring, directory work fails fast.
 *
 * Stop (graceful): ShuttingDown (peers stop placing grains here) → every grain deactivates and
 * writes its state → Dead → connections close.
 *
 * Declared dead by its peers (it was unreachable too long): the silo stops at once - its grains
 * may already be active elsewhere, so it must not serve them any more.
 */
internal sealed partial class SiloCluster : IAsyncDisposable
{
    private readonly SiloRuntime _runtime;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly System.Net.Sockets.Socket _siloSocket;
    private readonly System.Net.Sockets.Socket _gatewaySocket;
    private int _disposed;

    public SiloCluster(
        SiloRuntime runtime,
        IMembershipTable table,
        IOptions<SiloOptions> siloOptions,
        IOptions<NetworkingOptions> networkingOptions,
        IOptions<MembershipOptions> membershipOptions,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime? lifetime = null)
    {
        _runtime = runtime;
        _lifetime = lifetime;
        _logger = loggerFactory.CreateLogger("Agents.Runtime.Cluster");
        var silo = siloOptions.Value;
        var networking = networkingOptions.Value;
        var host = AdvertisedAddress.Of(networking);
        // Bind both ports now (port 0: a free one), so the address in the hello and the table is the
        // one actually listened on; accepting starts in StartAsync.
        var listenAddress = System.Net.IPAddress.Parse(networking.ListenAddress);
        _siloSocket = ConnectionListener.Bind(new System.Net.IPEndPoint(listenAddress, networking.SiloPort));
        _gatewaySocket = ConnectionListener.Bind(new System.Net.IPEndPoint(listenAddress, networking.GatewayPort));
        Self = new SiloAddress(host, ((System.Net.IPEndPoint)_siloSocket.LocalEndPoint!).Port, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        GatewayPort = ((System.Net.IPEndPoint)_gatewaySocket.LocalEndPoint!).Port;
        Messages = new MessageCenter(runtime.Catalog, silo.ClusterId, Self, networking, loggerFactory, time);
        // Directory calls are small and answered from memory; the bound only matters when the owner is
        // gone, and the membership protocol takes seconds to say so anyway.
        Directory = new DistributedGrainDirectory(Messages, TimeSpan.FromSeconds(5), _logger);
        Router = new ClusterRouter(runtime.Catalog, Messages, Directory, silo.Role, _logger);
        Membership = new MembershipService(
            new MembershipEntry(Self, SiloStatus.Joining)
            {
                SiloName = silo.SiloName ?? Environment.MachineName,
                Role = silo.Role,
                GatewayPort = GatewayPort,
                StartTime = DateTimeOffset.UtcNow,
            },
            table,
            new TransportSiloProber(Messages, Router.OnLoadReported),
            membershipOptions.Value,
            time,
            loggerFactory.CreateLogger<MembershipService>());
    }

    public SiloAddress Self { get; }

    public int GatewayPort { get; }

    public MessageCenter Messages { get; }

    public DistributedGrainDirectory Directory { get; }

    public ClusterRouter Router { get; }

    public MembershipService Membership { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Messages.Start(_siloSocket, _gatewaySocket);
        Membership.ViewChanged += OnViewChanged;
        Membership.DeclaredDead += OnDeclaredDead;
        _runtime.Catalog.Cluster = Router;
        await Membership.JoinAsync(cancellationToken);
        Router.OnViewChanged(Membership.View);
        Membership.StartBackgroundWork();
        LogJoined(_logger, Self, Membership.View.ActiveSilos.Count, string.Join(", ", Membership.View.ActiveSilos));
    }

    private void OnViewChanged(MembershipView view)
    {
        try
        {
            Router.OnViewChanged(view);
        }
        catch (Exception error)
        {
            LogViewChangeFailed(_logger, error);
        }
    }

    private void OnDeclaredDead()
    {
        // Our grains may be active elsewhere already: stop serving now.
        _lifetime?.StopApplication();
    }

    /// <summary>Graceful stop, before the grains deactivate: no new grains are placed here.</summary>
    public Task BeginLeavingAsync(CancellationToken cancellationToken) => Membership.BeginLeavingAsync(cancellationToken);

    /// <summary>Graceful stop, after the grains deactivated: Dead in the table, connections closed.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await Membership.LeaveAsync(cancellationToken);
        await Messages.DisposeAsync();
    }

    /// <summary>Tests: stop as a crash would - no more heartbeats, probes or answers, no Dead row, no deactivation.</summary>
    internal async Task KillAsync()
    {
        _runtime.Catalog.Cluster = null;
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Membership.ViewChanged -= OnViewChanged;
        await Membership.DisposeAsync();
        await Messages.DisposeAsync();
        // Owned by the listeners once started; closing them again is harmless, and needed if start never came.
        _siloSocket.Dispose();
        _gatewaySocket.Dispose();
    }

    [LoggerMessage(3400, LogLevel.Information, "Silo {Silo} joined the cluster: {Count} active silos ({Silos})")]
    private static partial void LogJoined(ILogger logger, SiloAddress silo, int count, string silos);

    [LoggerMessage(3401, LogLevel.Error, "Applying a membership view change failed")]
    private static partial void LogViewChangeFailed(ILogger logger, Exception exception);
}
