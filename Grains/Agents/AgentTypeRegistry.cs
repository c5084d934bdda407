using Agents.Runtime.Hosting;
using Agents.Topology;

namespace Agents.Agents;

/// <summary>A code-defined agent type: a name and how to create its agent.</summary>
public sealed record AgentRegistration(string Name, Type AgentClass, Func<IServiceProvider, Agent> Create);

/// <summary>A built-in role: how to create an agent of a YAML-defined type from its settings.</summary>
public sealed record AgentRoleRegistration(string Role, Func<IServiceProvider, AgentTypeDefinition, Agent> Create);

/// <summary>
/// Every agent type this silo can run: code-defined types (registered with <c>AddAgent</c>) and the
/// topology's role-based types. Built once at start-up; a name is one type cluster-wide because
/// every silo runs the same code and the same topology.
/// </summary>
public sealed class AgentTypeRegistry
{
    private readonly Dictionary<string, AgentRegistration> _code;
    private readonly Dictionary<string, AgentRoleRegistration> _roles;

    public AgentTypeRegistry(IEnumerable<AgentRegistration> code, IEnumerable<AgentRoleRegistration> roles, AgentTopology topology)
    {
        _code = new Dictionary<string, AgentRegistration>(StringComparer.Ordinal);
        foreach (var registration in code)
        {
            if (!_code.TryAdd(registration.Name, registration))
            {
                throw new AgentsConfigurationException(
                    $"Agent type '{registration.Name}' is registered twice ({_code[registration.Name].AgentClass.FullName} and {registration.AgentClass.FullName}).");
            }
        }

        _roles = new Dictionary<string, AgentRoleRegistration>(StringComparer.Ordinal);
        foreach (var role in roles)
        {
            // A later registration replaces an earlier one: applications may override a built-in role.
            _roles[role.Role] = role;
        }

        Topology = topology;
        foreach (var definition in topology.Agents)
        {
            if (definition.Role is { } role && !_roles.ContainsKey(role))
            {
                throw new AgentsConfigurationException($"{definition.Location}: agent type '{definition.Name}' uses role '{role}', which this silo does not have (roles: {string.Join(", ", _roles.Keys.Order(StringComparer.Ordinal))}).");
            }

            if (definition.Role is null && !_code.ContainsKey(definition.Name))
            {
                throw new AgentsConfigurationException($"{definition.Location}: agent type '{definition.Name}' has no role and no code registers it (code types: {string.Join(", ", _code.Keys.Order(StringComparer.Ordinal))}).");
            }
        }
    }

    public AgentTopology Topology { get; }

    /// <summary>Names of the code-defined types.</summary>
    public IReadOnlyCollection<string> CodeTypes => _code.Keys;

    /// <summary>Every type name, code-defined and role-based, in name order.</summary>
    public IReadOnlyList<string> TypeNames =>
        [.. _code.Keys.Union(Topology.Agents.Select(a => a.Name), StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="type"/> is an agent type here.</summary>
    public bool Contains(string type) => _code.ContainsKey(type) || Topology.FindAgent(type) is not null;

    /// <summary>The role of <paramref name="type"/> (null for code-defined).</summary>
    public string? RoleOf(string type) => Topology.FindAgent(type)?.Role;

    /// <summary>Creates the agent of <paramref name="type"/>; throws <see cref="AgentTypeNotFoundException"/> for an unknown type.</summary>
    public Agent Create(string type, IServiceProvider services)
    {
        var definition = Topology.FindAgent(type);
        if (definition?.Role is { } role)
        {
            return _roles[role].Create(services, definition);
        }

        if (_code.TryGetValue(type, out var registration))
        {
            return registration.Create(services);
        }

        throw AgentTypeNotFoundException.For(type, TypeNames);
    }
}
