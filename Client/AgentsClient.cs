using System.Text.Json;
using Agents.Agents;
using Agents.Signals;

namespace Agents.Client;

/// <summary>The agents client over any <see cref="IClusterClient"/> (a gateway connection, or a silo's own).</summary>
public sealed class AgentsClient(IClusterClient cluster) : IAgentsClient
{
    public async Task<JsonElement> AskAsync(string agentType, string key, object? body = null, string? request = null, CancellationToken cancellationToken = default)
    {
        var agent = new AgentId(agentType, key);
        var json = body is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(body, SignalJson.Options);
        var reply = await cluster.GetGrain<IAgentGrain>(agent.GrainKey).Ask(request ?? "", json).WaitAsync(cancellationToken);
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.Clone();
    }

    public async Task<TReply?> AskAsync<TReply>(string agentType, string key, object? body = null, string? request = null, CancellationToken cancellationToken = default) =>
        (await AskAsync(agentType, key, body, request, cancellationToken)).Deserialize<TReply>(SignalJson.Options);

    public Task<AgentSnapshot> DescribeAsync(string agentType, string key, CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IAgentGrain>(new AgentId(agentType, key).GrainKey).Describe().WaitAsync(cancellationToken);

    public async Task<string> PublishAsync(string topic, object? data, string? subject = null, string? id = null, CancellationToken cancellationToken = default)
    {
        var json = data is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(data, SignalJson.Options);
        var signal = Signal.Create(topic, json, "/client", subject);
        if (id is not null)
        {
            signal = signal with { Id = id };
        }

        await cluster.GetGrain<ISignalPublisherGrain>(0).Publish(signal).WaitAsync(cancellationToken);
        return signal.Id;
    }

    public async Task PublishBatchAsync(IReadOnlyList<Signal> signals, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Count > 0)
        {
            await cluster.GetGrain<ISignalPublisherGrain>(0).PublishBatch([.. signals]).WaitAsync(cancellationToken);
        }
    }

    public async Task<AgentsSubscription> SubscribeAsync(string topicPattern, CancellationToken cancellationToken = default)
    {
        var pattern = TopicPattern.Parse(topicPattern);
        var subscription = new AgentsSubscription(cluster, pattern.Text);
        await subscription.OpenAsync(cancellationToken);
        return subscription;
    }

    public async Task<IReadOnlyList<AgentCapability>> GetAgentTypesAsync(CancellationToken cancellationToken = default) =>
        await cluster.GetGrain<IAgentTypesGrain>(0).List().WaitAsync(cancellationToken);
}
