using Agents.Agents;
using Agents.Hosting;
using Agents.Llm;
using Agents.Runtime.Hosting;
using Agents.Silo.Api;
using Agents.Silo.Demo;
using Agents.SupportDesk;
using Agents.Topology;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Agents.Silo.Hosting;

/// <summary>
/// The silo process: the engine (providers from configuration), the agents service with the
/// topology file (<c>Agents:Service:TopologyFile</c>, agents.yaml beside the binary by default),
/// and the HTTP/SSE API with the dashboard.
/// </summary>
internal static partial class SiloApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            // appsettings.json and agents.yaml ship beside the binary; relative paths in them (data/)
            // resolve against the directory the silo is started from.
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
            builder.UseAgentsSilo(silo => silo.AddAdoNetProviders());
            builder.Services.AddAgentsService(builder.Configuration, agents => agents.AddSupportDesk());
            builder.Services.AddDemoWorkload(builder.Configuration);
            var api = builder.AddAgentsApi();
            var app = builder.Build();

            // The topology is checked now, so a bad file stops start-up instead of failing the first signal.
            app.Services.CheckAgentsService();
            var registry = app.Services.GetRequiredService<AgentTypeRegistry>();
            app.MapAgentsApi();
            app.Lifetime.ApplicationStarted.Register(() => Announce(app, registry, api));
            // RunAsync stops the silo gracefully on Ctrl+C / SIGTERM, then disposes the host.
            await app.RunAsync();
            return 0;
        }
        catch (Exception error) when (ConfigurationProblems(error) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"agents: configuration error: {problem}");
            }

            return 1;
        }
        catch (AgentsException error)
        {
            // The silo could not start (say, it could not join its cluster): what happened, without a stack trace.
            Console.Error.WriteLine($"agents: the silo could not start: {error.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The configuration mistakes <paramref name="error"/> reports, each a line naming the key; empty when it is not one.
    /// Several bad sections arrive together (an AggregateException); a value that is not of its setting's type comes from
    /// the configuration binder.
    /// </summary>
    private static List<string> ConfigurationProblems(Exception error) => error switch
    {
        AgentsConfigurationException or OptionsValidationException or TopologyException or LlmException => [error.Message],
        InvalidOperationException when error.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            [error.InnerException is { } inner ? $"{error.Message} {inner.Message}" : error.Message],
        AggregateException all when all.InnerExceptions.Select(ConfigurationProblems).ToList() is var each && each.All(p => p.Count > 0) =>
            [.. each.SelectMany(p => p)],
        _ => [],
    };

    private static void Announce(WebApplication app, AgentTypeRegistry registry, ApiOptions api)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Agents.Silo");
        var urls = api.Enabled
            ? app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []
            : [];
        if (api.Enabled && string.IsNullOrEmpty(api.ApiKey) && api.UrlsBeyondLoopback().ToArray() is { Length: > 0 } open)
        {
            LogOpenApi(logger, string.Join(", ", open));
        }

        if (api.Enabled && !api.UrlsBeyondLoopback().Any() && string.Equals(Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER"), "true", StringComparison.OrdinalIgnoreCase))
        {
            LogLoopbackInContainer(logger, api.Urls);
        }

        LogReady(logger, registry.TypeNames.Count, string.Join(", ", registry.TypeNames), registry.Topology.Routes.Count,
            urls.Count == 0 ? "off" : string.Join(", ", urls.Select(u => $"{u}/ (dashboard), {u}/api")));
    }

    [LoggerMessage(1, LogLevel.Information, "agents: silo ready with {Types} agent types ({Names}) and {Routes} routes; HTTP API: {Urls}")]
    private static partial void LogReady(ILogger logger, int types, string names, int routes, string urls);

    [LoggerMessage(2, LogLevel.Warning, "agents: the HTTP API listens beyond this machine ({Urls}) with no API key: whoever reaches it can ask agents and publish signals. Set Agents:Api:ApiKey (e.g. the environment variable Agents__Api__ApiKey).")]
    private static partial void LogOpenApi(ILogger logger, string urls);

    [LoggerMessage(3, LogLevel.Warning, "agents: this silo runs in a container but its HTTP API listens on loopback only ({Urls}): ingress and HTTP probes cannot reach it. Set Agents:Api:Urls (e.g. Agents__Api__Urls=http://+:8080) and Agents:Api:ApiKey.")]
    private static partial void LogLoopbackInContainer(ILogger logger, string urls);
}
