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

    /// <summary>How long leaving the cluster (the membership row marked Dead, connections closed) may take, even when the host's stop budget ran out.</summary>
    public static readonly TimeSpan LeaveBudget = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Leaves gracefully: the cluster is told, every grain deactivates (writing its state) within ShutdownTimeout, then the
    /// silo leaves. If the host's stop budget runs out first, deactivation stops there, but the silo still leaves within
    /// LeaveBudget, so peers learn of it from the table at once instead of by missed probes.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (cluster is not null)
            {
                await cluster.BeginLeavingAsync(cancellationToken);
            }

            await runtime.Catalog.DeactivateAllAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopCutShort(logger, runtime.Catalog.ActivationCount);
        }

        if (cluster is not null)
        {
            using var leave = new CancellationTokenSource(LeaveBudget);
            await cluster.LeaveAsync(leave.Token);
        }

        LogStopped(logger);
    }

    [LoggerMessage(3, LogLevel.Warning, "The host's shutdown timeout ran out before every grain deactivated ({Count} still active; their unsaved state is lost); leaving the cluster now. Give the host (HostOptions.ShutdownTimeout, a container's grace period) more time than Agents:Silo:ShutdownTimeout")]
    private static partial void LogStopCutShort(ILogger logger, int count);

    [LoggerMessage(1, LogLevel.Information, "Silo {SiloName} started in cluster {ClusterId} with {Count} grain types: {GrainTypes}")]
    private static partial void LogStarted(ILogger logger, string siloName, string clusterId, int count, string grainTypes);

    [LoggerMessage(2, LogLevel.Information, "Silo stopped: all grains deactivated")]
    private static partial void LogStopped(ILogger logger);
}
