using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>Starts the silo with the host and shuts it down gracefully: every grain is deactivated (and writes its state) before the host stops.</summary>
internal sealed partial class SiloHostedService(SiloRuntime runtime, IOptions<SiloOptions> options, ILogger<SiloHostedService> logger, SiloCluster? cluster = null) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var silo = options.Value;
        if (cluster is not null)
        {
            await cluster.StartAsync(cancellationToken);
        }

        LogStarted(logger, silo.SiloName ?? Environment.MachineName, silo.ClusterId, runtime.Registry.GrainTypes.Count(), string.Join(", ", runtime.Registry.GrainTypes.Select(t => t.Value).Order(StringComparer.Ordinal)));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (cluster is not null)
        {
            await cluster.BeginLeavingAsync(cancellationToken);
        }

        await runtime.Catalog.DeactivateAllAsync(cancellationToken);
        if (cluster is not null)
        {
            await cluster.LeaveAsync(cancellationToken);
        }

        LogStopped(logger);
    }

    [LoggerMessage(1, LogLevel.Information, "Silo {SiloName} started in cluster {ClusterId} with {Count} grain types: {GrainTypes}")]
    private static partial void LogStarted(ILogger logger, string siloName, string clusterId, int count, string grainTypes);

    [LoggerMessage(2, LogLevel.Information, "Silo stopped: all grains deactivated")]
    private static partial void LogStopped(ILogger logger);
}
