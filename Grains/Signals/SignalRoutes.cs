using System.Collections.Concurrent;
using Agents.Topology;

namespace Agents.Signals;

/// <summary>The topology's routes, matched against topics (the answer for a topic is computed once and kept).</summary>
public sealed class SignalRoutes(AgentTopology topology)
{
    private readonly ConcurrentDictionary<string, RouteDefinition[]> _byTopic = new(StringComparer.Ordinal);

    /// <summary>Routes whose pattern matches <paramref name="topic"/>, in file order.</summary>
    public RouteDefinition[] For(string topic) =>
        _byTopic.GetOrAdd(topic, static (t, routes) => [.. routes.Where(r => r.Topic.Matches(t))], topology.Routes);
}
