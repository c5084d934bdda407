using System.Collections.Immutable;

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
    public required ImmutableArray<string> Topics { get; init; }

    /// <summary>
    /// The requests it answers, by name, with their descriptions (empty when the agent gave none). To cross the wire the
    /// dictionary must be a <see cref="Dictionary{TKey, TValue}"/> (what <c>AgentCapabilities</c> builds).
    /// </summary>
    [Id(3)]
    public required IReadOnlyDictionary<string, string> Requests { get; init; }
}
