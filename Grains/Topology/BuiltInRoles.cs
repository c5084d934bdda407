namespace Agents.Topology;

/// <summary>The roles an agent type in <c>agents.yaml</c> can take instead of naming a class implemented in code.</summary>
public static class BuiltInRoles
{
    /// <summary>Answers with a language model, optionally calling other agent types as tools.</summary>
    public const string Llm = "llm";

    /// <summary>Republishes each signal on a topic chosen by the first matching rule.</summary>
    public const string Router = "router";

    /// <summary>Collects signals into windows (by count and/or time) and publishes a summary of each.</summary>
    public const string Aggregator = "aggregator";

    /// <summary>Keeps the most recent signals it receives.</summary>
    public const string Sink = "sink";

    /// <summary>Every built-in role, in the order the documentation lists them.</summary>
    public static IReadOnlyCollection<string> Names { get; } = [Llm, Router, Aggregator, Sink];

    /// <summary>Whether <paramref name="role"/> is a built-in role (ordinal, case-sensitive).</summary>
    public static bool IsBuiltIn(string? role) => role is Llm or Router or Aggregator or Sink;
}
