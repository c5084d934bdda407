using System.Text.Json;
using Agents.Agents;
using Agents.Signals;

namespace Agents.Client;

/// <summary>
/// What a web app or service does with a cluster of agents: ask them, publish signals, follow
/// signals, and learn what agent types exist. Registered by <c>AddAgentsClient</c>; thread-safe.
/// </summary>
public interface IAgentsClient
{
    /// <summary>
    /// Asks agent (<paramref name="agentType"/>, <paramref name="key"/>) the request <paramref name="request"/>
    /// (null: the agent's only request) with <paramref name="body"/> as JSON, and returns its JSON reply.
    /// Fails with <see cref="AgentTypeNotFoundException"/>, <see cref="AgentRequestException"/>,
    /// <see cref="AgentUnavailableException"/> (its breaker is open) or the agent's own failure.
    /// </summary>
    Task<JsonElement> AskAsync(string agentType, string key, object? body = null, string? request = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="AskAsync"/>, reading the reply as <typeparamref name="TReply"/> (web JSON defaults).</summary>
    Task<TReply?> AskAsync<TReply>(string agentType, string key, object? body = null, string? request = null, CancellationToken cancellationToken = default);

    /// <summary>An agent's type, key, counters and state.</summary>
    Task<AgentSnapshot> DescribeAsync(string agentType, string key, CancellationToken cancellationToken = default);

    /// <summary>Publishes <paramref name="data"/> (as JSON) on <paramref name="topic"/>; returns the signal id.</summary>
    Task<string> PublishAsync(string topic, object? data, string? subject = null, string? id = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes many signals (made with <see cref="Signal.Create(string, string, string, string?)"/>) in
    /// one call, in order: each topic's stream gets its signals in the list's order. Every signal is
    /// checked first; one bad topic or id refuses the whole batch, naming the signal.
    /// </summary>
    Task PublishBatchAsync(IReadOnlyList<Signal> signals, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows signals whose topic matches <paramref name="topicPattern"/> (<c>tickets.*</c>, <c>#</c>).
    /// When the returned task completes the subscription is live: every signal dispatched after
    /// that is delivered, per topic in publication order. Dispose it to stop.
    /// </summary>
    Task<AgentsSubscription> SubscribeAsync(string topicPattern, CancellationToken cancellationToken = default);

    /// <summary>Every agent type of the cluster with its role, the topics it handles and the requests it answers.</summary>
    Task<IReadOnlyList<AgentCapability>> GetAgentTypesAsync(CancellationToken cancellationToken = default);
}
