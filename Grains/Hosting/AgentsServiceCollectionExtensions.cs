using Agents.Agents;
using Agents.Feed;
using Agents.Llm;
using Agents.Roles;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Hosting;

/// <summary>Configures the agents service of a silo: agent types, roles and the topology.</summary>
public sealed class AgentsServiceBuilder
{
    internal AgentsServiceBuilder(IServiceCollection services) => Services = services;

    public IServiceCollection Services { get; }

    /// <summary>Registers the code-defined agent type <paramref name="name"/>, implemented by <typeparamref name="TAgent"/> (constructed with DI).</summary>
    public AgentsServiceBuilder AddAgent<TAgent>(string name)
        where TAgent : Agent
    {
        if (!AgentId.IsValidTypeName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid agent type name: use letters, digits, '-' and '_'.", nameof(name));
        }

        Services.AddSingleton(new AgentRegistration(name, typeof(TAgent), sp => ActivatorUtilities.CreateInstance<TAgent>(sp)));
        return this;
    }

    /// <summary>Registers a role that YAML-defined agent types can name.</summary>
    public AgentsServiceBuilder AddRole(string role, Func<IServiceProvider, AgentTypeDefinition, Agent> create)
    {
        Services.AddSingleton(new AgentRoleRegistration(role, create));
        return this;
    }

    /// <summary>Uses <paramref name="topology"/> instead of a topology file.</summary>
    public AgentsServiceBuilder UseTopology(AgentTopology topology)
    {
        Services.RemoveAll<AgentTopology>();
        Services.AddSingleton(topology);
        return this;
    }
}

/// <summary>Registration of the agents service.</summary>
public static class AgentsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agents service: the agent grain, signal routing, dead letters, the built-in roles (llm, router,
    /// aggregator, sink), <see cref="AgentCapabilities"/> and the LLM providers (<c>Agents:Llm</c>), with settings from
    /// <c>Agents:Service</c>. The topology comes from <see cref="AgentsServiceBuilder.UseTopology"/>,
    /// else from <see cref="AgentServiceOptions.TopologyFile"/>, else it is empty (code agents, no routes).
    /// </summary>
    public static IServiceCollection AddAgentsService(this IServiceCollection services, IConfiguration configuration, Action<AgentsServiceBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AgentServiceOptions>()
            .Bind(configuration.GetSection(AgentServiceOptions.SectionName))
            .Validate(o => !o.Validate().Any(), "invalid")
            .Services.AddSingleton<IValidateOptions<AgentServiceOptions>, AgentServiceOptionsValidator>();
        var builder = new AgentsServiceBuilder(services);
        builder.AddRole(BuiltInRoles.Llm, (_, definition) => new LlmAgent(definition));
        builder.AddRole(BuiltInRoles.Router, (_, definition) => new RouterAgent(definition));
        builder.AddRole(BuiltInRoles.Aggregator, (_, definition) => new AggregatorAgent(definition));
        builder.AddRole(BuiltInRoles.Sink, (_, definition) => new SinkAgent(definition));
        configure?.Invoke(builder);
        services.TryAddSingleton(sp => LoadTopology(sp));
        services.TryAddSingleton(sp => new AgentTypeRegistry(
            sp.GetServices<AgentRegistration>(),
            sp.GetServices<AgentRoleRegistration>(),
            sp.GetRequiredService<AgentTopology>()));
        services.TryAddSingleton(sp => new SignalRoutes(sp.GetRequiredService<AgentTypeRegistry>().Topology));
        services.TryAddSingleton(sp => new AgentCapabilities(
            sp.GetRequiredService<AgentTypeRegistry>(), sp, sp.GetService<ILogger<AgentCapabilities>>()));
        services.TryAddSingleton<SignalFeed>();
        services.TryAddSingleton<SignalFeedFanOut>();
        services.TryAddSingleton<LocalAgentCensus>();
        // The llm role's models; without an Agents:Llm section the default is the offline model. An application that
        // registered ILlmProviders itself keeps its own.
        services.AddAgentsLlm(configuration);
        return services;
    }

    private static AgentTopology LoadTopology(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<AgentServiceOptions>>().Value;
        return options.TopologyFile is null ? AgentTopology.Empty : TopologyFiles.Load(options.TopologyFile, services);
    }

    private sealed class AgentServiceOptionsValidator : IValidateOptions<AgentServiceOptions>
    {
        public ValidateOptionsResult Validate(string? name, AgentServiceOptions options)
        {
            var errors = options.Validate().ToArray();
            return errors.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
