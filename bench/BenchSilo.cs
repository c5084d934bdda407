using Agents.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Bench;

/// <summary>
/// A silo in this process, configured as the Silo binary would be but with memory providers and quiet
/// logs; a scenario may add providers of its own (e.g. PostgreSQL grain storage).
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchSilo(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    internal SiloRuntime Runtime => _host.Services.GetRequiredService<SiloRuntime>();

    public static async Task<BenchSilo> StartAsync(Action<SiloOptions>? configure = null, Action<ISiloBuilder>? providers = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.UseAgentsSilo(silo =>
        {
            silo.UseLocalhostClustering().AddMemoryGrainStorageAsDefault();
            if (configure is not null)
            {
                silo.Configure(configure);
            }

            providers?.Invoke(silo);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new BenchSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
