using Agents.Runtime.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agents.Silo.Api;

/// <summary><c>/api/cluster</c> (silos, their status and agents) and the health probes.</summary>
internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder api) => api.MapGet("/cluster", async (HttpContext context, IClusterStatus cluster, AgentCensus census) =>
    {
        var counts = await census.CountAsync(context.RequestAborted);
        return Results.Json(new
        {
            clustered = cluster.IsClustered,
            self = cluster.LocalSilo.ToString(),
            silos = cluster.Silos.Select(s => new
            {
                address = s.Address.ToString(),
                name = s.Name,
                status = s.Status.ToString(),
                role = s.Role,
                gatewayPort = s.GatewayPort,
                startTime = s.StartTime,
                lastHeartbeat = s.LastHeartbeat,
                isLocal = s.IsLocal,
                agents = counts.BySilo.TryGetValue(s.Address, out var bySilo) ? bySilo.Agents.Values.Sum() : 0,
                reminders = bySilo?.RemindersTicking ?? 0,
            }),
            unreachableSilos = counts.Unreachable,
        }, ApiJson.Options);
    });

    /// <summary>
    /// <c>/health/live</c>: the process serves HTTP. <c>/health/ready</c>: the silo has started (joined
    /// its cluster) and is not stopping; 503 otherwise, with the reason.
    /// </summary>
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Json(new { status = "live" }));
        app.MapGet("/health/ready", (HttpContext context, IHostApplicationLifetime lifetime, IClusterStatus cluster) =>
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not ready", "The silo is stopping.", context);
            }

            if (!lifetime.ApplicationStarted.IsCancellationRequested)
            {
                return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Not ready", "The silo is still starting (joining its cluster).", context);
            }

            return Results.Json(new { status = "ready", silo = cluster.LocalSilo.ToString() });
        });
    }
}
