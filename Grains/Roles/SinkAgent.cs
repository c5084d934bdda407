using System.Text.Json;
using Agents.Agents;
using Agents.Signals;
using Agents.Topology;

namespace Agents.Roles;

/// <summary>What a sink keeps: the last signals routed to it, oldest first.</summary>
public sealed class SinkState
{
    public List<Signal> Signals { get; set; } = [];

    /// <summary>Signals received in all, including those no longer kept.</summary>
    public long Received { get; set; }
}

/// <summary>The body of a sink's <c>recent</c> request: at most <see cref="Max"/> signals (all kept when absent), newest last.</summary>
public sealed record SinkQuery(int? Max = null, string? Topic = null);

/// <summary>
/// The built-in <c>sink</c> role: keeps the last <c>keep</c> signals routed to it (durably, oldest
/// dropped first) and answers <c>recent</c> with them. Useful as the end of a pipeline that people
/// or tests look at.
/// </summary>
public sealed class SinkAgent : Agent<SinkState>
{
    /// <summary>Signals kept when the settings do not say.</summary>
    public const int DefaultKeep = 100;

    private readonly int _keep;

    public SinkAgent(AgentTypeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _keep = definition.Settings.ValueKind == JsonValueKind.Object && definition.Settings.TryGetProperty("keep", out var keep) && keep.TryGetInt32(out var value)
            ? value
            : DefaultKeep;
    }

    protected override void Configure(AgentBehavior agent) => agent
        .On("#", async signal =>
        {
            State.Received++;
            State.Signals.Add(signal);
            if (State.Signals.Count > _keep)
            {
                State.Signals.RemoveRange(0, State.Signals.Count - _keep);
            }

            await SaveStateAsync();
        })
        .Answer<SinkQuery?, IReadOnlyList<Signal>>("recent", query =>
        {
            IEnumerable<Signal> signals = State.Signals;
            if (query?.Topic is { } topic)
            {
                if (!TopicPattern.TryParse(topic, out var pattern, out var error))
                {
                    throw new AgentRequestException($"'topic' must be a topic or pattern such as alerts.* ({error}).");
                }

                signals = signals.Where(s => pattern.Matches(s.Topic));
            }

            var list = signals.ToList();
            var max = Math.Clamp(query?.Max ?? list.Count, 0, list.Count);
            return Task.FromResult<IReadOnlyList<Signal>>(list.GetRange(list.Count - max, max));
        }, "The last signals kept, newest last; body { max, topic } (both optional).");

    protected override string DescribeState() =>
        JsonSerializer.Serialize(new { received = State.Received, kept = State.Signals.Count, keep = _keep }, SignalJson.Options);
}
