using Agents.Agents;
using Agents.Llm;
using Agents.Runtime.Hosting;
using Agents.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Hosting;

/// <summary>Checks the agents service's configuration at start-up, so a mistake stops the silo before it serves anything.</summary>
public static class AgentsServiceCheck
{
    /// <summary>
    /// Loads the topology, creates every agent type once (the capability registry), builds the LLM
    /// providers (<c>Agents:Llm</c>) and checks that every llm agent's <c>provider</c> exists.
    /// Throws <see cref="TopologyException"/> or <see cref="AgentsConfigurationException"/> naming what is wrong and where.
    /// </summary>
    public static void CheckAgentsService(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registry = services.GetRequiredService<AgentTypeRegistry>();
        _ = services.GetRequiredService<AgentCapabilities>().All;
        ILlmProviders? llm;
        try
        {
            llm = services.GetService<ILlmProviders>();
        }
        catch (InvalidOperationException error)
        {
            throw new AgentsConfigurationException(error.Message, error);
        }

        if (llm is null)
        {
            return;
        }

        foreach (var agent in registry.Topology.Agents.Where(a => a.Role == BuiltInRoles.Llm))
        {
            var provider = agent.Settings.TryGetProperty("provider", out var name) ? name.GetString() : null;
            try
            {
                _ = llm.Get(provider);
            }
            catch (ArgumentException error)
            {
                var reason = error.ParamName is { } parameter ? error.Message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal) : error.Message;
                throw new AgentsConfigurationException($"{agent.Location}: agents.{agent.Name}.settings.provider: {reason}");
            }
        }
    }
}
