using Agents.Runtime.Hosting;
using Agents.Runtime.Membership;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Bench;

/// <summary>
/// Silos of one cluster in this process, talking over loopback TCP as separate processes would
/// (each has its own listeners and connections), sharing an in-memory membership table; and clients
/// that reach them through their gateway ports. Logs: warnings only.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly List<IHost> _silos = [];
    private readonly List<IHost> _clients = [];
    private readonly InMemoryMembershipTable _table = new();

    public IReadOnlyList<IHost> Silos => _silos;

    public static async Task<BenchCluster> StartAsync(int silos)
    {
        var cluster = new BenchCluster();
        for (var i = 0; i < silos; i++)
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Agents:Silo:ClusterId"] = "bench",
                ["Agents:Networking:SiloPort"] = "0",
                ["Agents:Networking:GatewayPort"] = "0",
            });
            builder.UseAgentsSilo(silo => silo.UseClustering(_ => cluster._table).AddMemoryGrainStorageAsDefault());
            var host = builder.Build();
            await host.StartAsync();
            cluster._silos.Add(host);
        }

        foreach (var silo in cluster._silos)
        {
            await silo.Services.GetRequiredService<SiloCluster>().Membership.RefreshAsync();
        }

        return cluster;
    }

    /// <summary>The in-process client of silo <paramref name="index"/> (calls start in that silo).</summary>
    public IClusterClient SiloClient(int index) => _silos[index].Services.GetRequiredService<IClusterClient>();

    /// <summary>A gateway client (its own connection) to silo <paramref name="index"/>.</summary>
    public async Task<IClusterClient> ConnectClientAsync(int index)
    {
        var gateway = _silos[index].Services.GetRequiredService<SiloCluster>().GatewayPort;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAgentsClient(o =>
        {
            o.ClusterId = "bench";
            o.Gateways.Add($"127.0.0.1:{gateway}");
        });
        var host = builder.Build();
        await host.StartAsync();
        _clients.Add(host);
        return host.Services.GetRequiredService<IClusterClient>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _clients.Concat(Enumerable.Reverse(_silos)))
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
