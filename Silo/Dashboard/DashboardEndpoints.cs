using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agents.Silo.Api;

/// <summary>
/// The dashboard: one self-contained page at <c>/</c> that draws the cluster (silos and their
/// agents), the agent types, the live signal flow (SSE) and the dead letters, from the API alone.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Agents.Silo.Dashboard.index.html")
            ?? throw new InvalidOperationException("The dashboard page is missing from the Agents.Silo assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static void MapDashboard(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8"));
}
