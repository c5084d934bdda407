using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agents.Runtime.Testing;

/// <summary>One silo of a <see cref="TestCluster"/>: a real silo in its own generic host.</summary>
public sealed class TestSilo
{
    private IHost? _host;

    internal TestSilo(string name, IHost host)
    {
        Name = name;
        _host = host;
    }

    /// <summary>The silo's name (silo-0, silo-1, ...).</summary>
    public string Name { get; }

    /// <summary>Whether the silo is running (not stopped or killed).</summary>
    public bool IsRunning => _host is not null;

    public IServiceProvider Services => (_host ?? throw new InvalidOperationException($"Silo {Name} is not running.")).Services;

    /// <summary>The silo's in-process client: calls made through it start in this silo.</summary>
    public IClusterClient Client => Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's address in the cluster (kept after it stopped); default for a single localhost silo.</summary>
    public SiloAddress Address { get; private set; }

    /// <summary>The port clients connect to; 0 for a single localhost silo.</summary>
    public int GatewayPort { get; private set; }

    /// <summary>Live activations on this silo.</summary>
    public int ActivationCount => Catalog.ActivationCount;

    internal GrainCatalog Catalog => Services.GetRequiredService<SiloRuntime>().Catalog;

    internal SiloCluster? Cluster => Services.GetService<SiloCluster>();

    /// <summary>Whether <paramref name="grainId"/> has an activation on this silo.</summary>
    public bool IsActive(GrainId grainId) => Catalog.FindActivation(grainId) is not null;

    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _host!.StartAsync(cancellationToken);
            Address = Cluster?.Self ?? default;
            GatewayPort = Cluster?.GatewayPort ?? 0;
        }
        catch
        {
            // A host that failed to start cannot be stopped, only disposed.
            await ((IAsyncDisposable)_host!).DisposeAsync();
            _host = null;
            throw;
        }
    }

    /// <summary>Graceful stop: grains deactivate (and write their state), the silo leaves the cluster.</summary>
    internal async Task StopAsync(CancellationToken cancellationToken)
    {
        var host = Interlocked.Exchange(ref _host, null);
        if (host is null)
        {
            return;
        }

        try
        {
            await host.StopAsync(cancellationToken);
        }
        finally
        {
            // Providers such as SQLite flush on DisposeAsync; a synchronous Dispose would skip that.
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    /// <summary>
    /// A crash, as near as one process can play it: the silo stops heartbeating and answering at
    /// once, its connections drop, its grains vanish without deactivating, and its membership row is
    /// left Active for its peers to find dead.
    /// </summary>
    internal async Task KillAsync()
    {
        var host = Interlocked.Exchange(ref _host, null);
        if (host is null)
        {
            return;
        }

        if (host.Services.GetService<SiloCluster>() is { } cluster)
        {
            await cluster.KillAsync();
        }

        await ((IAsyncDisposable)host).DisposeAsync();
    }

    public override string ToString() => $"{Name} ({Address})";
}
