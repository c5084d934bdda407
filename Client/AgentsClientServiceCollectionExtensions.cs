using Agents;
using Agents.Client;
using Agents.Runtime.Networking;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Agents cluster client in a web app or service: <c>builder.Services.AddAgentsClient(o => o.Gateways.Add("127.0.0.1:30000"))</c>.</summary>
public static class AgentsClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IAgentsClient"/>, <see cref="IClusterClient"/> and <see cref="IGrainFactory"/>, connected to the cluster when
    /// the host starts. Options come from configuration section <c>Agents:Client</c>, then
    /// <paramref name="configure"/>; transport settings (TLS, frame size, timeouts) from <c>Agents:Networking</c>.
    /// Register an <c>IMembershipTable</c> too to find gateways from the cluster's table.
    /// </summary>
    public static IServiceCollection AddAgentsClient(this IServiceCollection services, Action<AgentsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AgentsClientOptions>().BindConfiguration(AgentsClientOptions.SectionName).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentsClientOptions>, AgentsClientOptionsValidator>());
        services.AddOptions<NetworkingOptions>().BindConfiguration(NetworkingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkingOptions>, NetworkingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GatewayClusterClient>();
        services.TryAddSingleton<IClusterClient>(sp => sp.GetRequiredService<GatewayClusterClient>());
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GatewayClusterClient>());
        services.TryAddSingleton<IAgentsClient, AgentsClient>();
        services.AddHostedService<AgentsClientHostedService>();
        return services;
    }
}

/// <summary>Connects the client when the host starts and closes it when the host stops.</summary>
internal sealed class AgentsClientHostedService(GatewayClusterClient client) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await client.DisposeAsync();
}
