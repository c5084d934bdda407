namespace Agents.Agents;

/// <summary>
/// What one agent type does: its role, the topic patterns it handles and the requests it answers.
/// The same on every silo, because every silo runs the same code and topology.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record AgentCapability
{
    /// <summary>The agent type name, e.g. <c>triage</c>.</summary>
    [Id(0)]
    public required string Type { get; init; }

    /// <summary>The built-in role (<c>llm</c>, <c>router</c>, <c>aggregator</c>, <c>sink</c>), or null for a code-defined type.</summary>
    [Id(1)]
    public string? Role { get; init; }

    /// <summary>The topic patterns its signal handlers match, in declaration order (the first matching handler runs).</summary>
    [Id(2)]
    public required string[] Topics { get; init; }

    /// <summary>The requests it answers, by name, with their descriptions (empty when the agent gave none).</summary>
    [Id(3)]
    public required Dictionary<string, string> Requests { get; init; }

    /// <summary>
    /// The topology's routes to it, in file order: the topics it actually receives, and how each picks the agent's key.
    /// A role's handlers match every topic (<see cref="Topics"/> is <c>#</c>); its routes say what it is given.
    /// </summary>
    [Id(4)]
    public AgentRouteInfo[] Routes { get; init; } = [];
}

/// <summary>One route of the topology to an agent type: the topic pattern, and the key rule (<c>subject</c>, <c>json $.path</c>, <c>fixed key</c>).</summary>
[GenerateSerializer]
[Immutable]
public sealed record AgentRouteInfo
{
    /// <summary>The topic pattern, e.g. <c>tickets.*</c>.</summary>
    [Id(0)]
    public required string Topic { get; init; }

    /// <summary>How the receiving agent's key is taken from a signal, e.g. <c>json $.customer</c>.</summary>
    [Id(1)]
    public required string Key { get; init; }
}
