using Agents.Runtime.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Agents;

/*
 * The cluster's capability registry: for every agent type, its role, the topic patterns it handles,
 * the requests it answers (with descriptions) and the topology's routes to it.
 *
 * Invariants
 *  - Computed once, on first use, from the AgentTypeRegistry: each type's agent is created with
 *    registry.Create(type, services) and its Configure runs on a fresh AgentBehavior. No grain is
 *    activated and no agent is attached to a context, so Configure must only declare (as it must
 *    anyway: Context is unavailable there).
 *  - The result is the same on every silo, because every silo runs the same code and topology; so
 *    any silo can answer for the whole cluster without asking the others.
 *  - Agents must not read AgentCapabilities in their constructors or Configure (the llm role reads it
 *    when it first needs its tools): computing the registry creates every agent, and a constructor
 *    that waited for the registry would wait for itself.
 */

/// <summary>What every agent type of this deployment does. See the invariants at the top of this file.</summary>
public sealed partial class AgentCapabilities
{
    private readonly Lazy<Computed> _computed;

    public AgentCapabilities(AgentTypeRegistry registry, IServiceProvider services, ILogger<AgentCapabilities>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        _computed = new Lazy<Computed>(() => Compute(registry, services, logger ?? NullLogger<AgentCapabilities>.Instance), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Every agent type, in name order.</summary>
    /// <exception cref="AgentsConfigurationException">An agent could not be created or configured; the message names its type.</exception>
    public IReadOnlyList<AgentCapability> All => _computed.Value.All;

    /// <summary>The capability of agent type <paramref name="type"/>, or null when there is no such type.</summary>
    public AgentCapability? Find(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return _computed.Value.ByType.GetValueOrDefault(type);
    }

    private static Computed Compute(AgentTypeRegistry registry, IServiceProvider services, ILogger logger)
    {
        var all = new List<AgentCapability>();
        foreach (var type in registry.TypeNames)
        {
            var behavior = new AgentBehavior();
            try
            {
                registry.Create(type, services).ConfigureBehavior(behavior);
            }
            catch (Exception ex) when (ex is not AgentsConfigurationException)
            {
                throw new AgentsConfigurationException($"Agent type '{type}' could not describe itself (creating it and running its Configure failed): {ex.Message}", ex);
            }

            all.Add(new AgentCapability
            {
                Type = type,
                Role = registry.RoleOf(type),
                Topics = [.. behavior.Topics],
                Requests = behavior.Requests.ToDictionary(r => r.Key, r => r.Value ?? "", StringComparer.Ordinal),
                Routes = [.. registry.Topology.Routes
                    .Where(r => string.Equals(r.AgentType, type, StringComparison.Ordinal))
                    .Select(r => new AgentRouteInfo { Topic = r.Topic.Text, Key = r.Key.ToString() })],
            });
        }

        LogComputed(logger, all.Count);
        return new Computed(all, all.ToDictionary(c => c.Type, StringComparer.Ordinal));
    }

    private sealed record Computed(IReadOnlyList<AgentCapability> All, IReadOnlyDictionary<string, AgentCapability> ByType);

    [LoggerMessage(4330, LogLevel.Debug, "Agent capabilities computed for {Types} agent types")]
    private static partial void LogComputed(ILogger logger, int types);
}
