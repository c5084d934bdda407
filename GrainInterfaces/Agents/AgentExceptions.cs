namespace Agents.Agents;

/// <summary>An ask the agent cannot answer: the request is unknown or its body is not what the request takes.</summary>
[GenerateSerializer]
public sealed class AgentRequestException(string message, Exception? inner = null) : AgentsException(message, inner);

/// <summary>No agent type has this name.</summary>
[GenerateSerializer]
public sealed class AgentTypeNotFoundException(string message, Exception? inner = null) : AgentsException(message, inner)
{
    /// <summary>The error for an unknown <paramref name="type"/>, listing the known ones.</summary>
    public static AgentTypeNotFoundException For(string type, IEnumerable<string> known) =>
        new($"There is no agent type '{type}' (known types: {string.Join(", ", known)}).") { AgentType = type };

    [Id(0)]
    public string? AgentType { get; set; }
}

/// <summary>An agent refuses calls for now (its circuit breaker is open).</summary>
[GenerateSerializer]
public sealed class AgentUnavailableException(string message, Exception? inner = null) : AgentsException(message, inner);
