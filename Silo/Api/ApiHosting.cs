using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Agents.Runtime.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Agents.Silo.Api;

/// <summary>Wires the HTTP/SSE API and dashboard into the silo's web host.</summary>
internal static class ApiHosting
{
    /// <summary>Registers the API's services and Kestrel settings from <c>Agents:Api</c>; a bad value stops start-up naming the key.</summary>
    public static ApiOptions AddAgentsApi(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ApiOptions.SectionName).Get<ApiOptions>() ?? new ApiOptions();
        var errors = options.Validate().ToArray();
        if (errors.Length > 0)
        {
            throw new AgentsConfigurationException(string.Join(" ", errors));
        }

        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<AgentCensus>();
        builder.WebHost.UseUrls(options.Enabled ? options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : []);
        builder.Services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        return options;
    }

    /// <summary>Maps every endpoint; unknown paths, unhandled failures and oversized bodies answer problem+json too.</summary>
    public static void MapAgentsApi(this WebApplication app)
    {
        app.UseExceptionHandler(errors => errors.Run(context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var result = error is BadHttpRequestException bad
                ? Problems.Status(bad.StatusCode, "Bad request", bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"The request body is larger than {context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxBodyBytes} bytes (Agents:Api:MaxBodyBytes)."
                    : bad.Message, context)
                : Problems.Status(StatusCodes.Status500InternalServerError, "Internal error", $"The silo failed to answer: {error?.GetType().Name}: {error?.Message}", context);
            return result.ExecuteAsync(context);
        }));
        app.UseStatusCodePages(context =>
        {
            var http = context.HttpContext;
            var detail = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"Nothing is served at {http.Request.Method} {http.Request.Path}. The API: POST /api/agents/{{type}}/{{key}}/ask, GET /api/agents/{{type}}/{{key}}, GET /api/agents, POST /api/signals/{{topic}}, GET /api/signals/{{pattern}}/stream, GET /api/dead-letters, GET /api/cluster, GET /health/live, GET /health/ready.",
                StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}.",
                _ => $"HTTP {http.Response.StatusCode} for {http.Request.Method} {http.Request.Path}.",
            };
            return Problems.Status(http.Response.StatusCode, ReasonPhrase(http.Response.StatusCode), detail, http).ExecuteAsync(http);
        });

        app.UseApiKeyGate(app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ApiKey);
        var api = app.MapGroup("/api");
        api.MapAgentEndpoints();
        api.MapSignalEndpoints();
        api.MapClusterEndpoints();
        app.MapHealthEndpoints();
        app.MapDashboard();
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
