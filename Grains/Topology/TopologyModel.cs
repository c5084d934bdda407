using System.Text.Json;
using Agents.Signals;

namespace Agents.Topology;

/// <summary>
/// A topology: the agent types a deployment runs (code-defined ones and built-in roles with their
/// settings) and the routes that bring signals to them. Loaded from <c>agents.yaml</c> by
/// <c>TopologyLoader</c>; the same topology serves one silo or a cluster.
/// </summary>
public sealed record AgentTopology(IReadOnlyList<AgentTypeDefinition> Agents, IReadOnlyList<RouteDefinition> Routes)
{
    public static AgentTopology Empty { get; } = new([], []);

    /// <summary>The agent type called <paramref name="name"/>, or null.</summary>
    public AgentTypeDefinition? FindAgent(string name) => Agents.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal));
}

/// <summary>
/// One agent type. <see cref="Role"/> is null for a code-defined agent (a class registered under
/// <see cref="Name"/>) and names a built-in role (<c>llm</c>, <c>router</c>, <c>aggregator</c>,
/// <c>sink</c>) otherwise. <see cref="Settings"/> is the <c>settings</c> mapping as JSON (an empty
/// object when absent), already checked against the role's schema.
/// </summary>
public sealed record AgentTypeDefinition(string Name, string? Role, JsonElement Settings, string? Description, SourceLocation Location);

/// <summary>Signals whose topic matches <see cref="Topic"/> go to the agent of type <see cref="AgentType"/> whose key <see cref="Key"/> derives.</summary>
public sealed record RouteDefinition(TopicPattern Topic, string AgentType, KeyRule Key, SourceLocation Location);

/// <summary>How a route derives the key of the agent that receives a signal.</summary>
public abstract record KeyRule
{
    /// <summary>The signal's subject (CloudEvents <c>subject</c>).</summary>
    public static KeyRule Subject { get; } = new SubjectKey();

    /// <summary>The key for <paramref name="signal"/>, or none (<see cref="RouteKey.IsNone"/>) with <paramref name="error"/> saying why.</summary>
    public abstract RouteKey KeyOf(Signal signal, out string? error);

    /// <summary>The key is the signal's subject.</summary>
    public sealed record SubjectKey : KeyRule
    {
        public override RouteKey KeyOf(Signal signal, out string? error)
        {
            if (string.IsNullOrEmpty(signal.Subject))
            {
                error = $"signal {signal.Id} on {signal.Topic} has no subject, and the route keys agents by subject";
                return default;
            }

            error = null;
            return new RouteKey(signal.Subject);
        }

        public override string ToString() => "subject";
    }

    /// <summary>Every signal goes to the one agent with this key.</summary>
    public sealed record FixedKey(string Value) : KeyRule
    {
        public override RouteKey KeyOf(Signal signal, out string? error)
        {
            error = null;
            return new RouteKey(Value);
        }

        public override string ToString() => $"fixed {Value}";
    }

    /// <summary>The key is the string, number or boolean at <see cref="Path"/> in the signal's data (a slice of it, when written plainly).</summary>
    public sealed record JsonPathKey(JsonPath Path) : KeyRule
    {
        public override RouteKey KeyOf(Signal signal, out string? error)
        {
            switch (Path.ReadKey(signal.Data, out var kind, out var key, out var notJson))
            {
                case PathRead.NotJson:
                    error = $"signal {signal.Id} on {signal.Topic}: its data is not JSON ({notJson})";
                    return default;
                case PathRead.Missing:
                    error = $"signal {signal.Id} on {signal.Topic} has nothing at {Path} in its data";
                    return default;
            }

            if (kind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False && !key.IsNone && !key.IsEmpty)
            {
                error = null;
                return key;
            }

            error = $"signal {signal.Id} on {signal.Topic}: {Path} is {kind}, not a string, number or boolean";
            return default;
        }

        public override string ToString() => $"json {Path}";
    }
}

/// <summary>Where something was written: file, 1-based line and column.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}
