using Agents.Agents;
using Agents.Feed;
using Agents.Hosting;
using Agents.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Signals;

/*
 * One dispatcher per topic (grain key = topic), subscribed implicitly to the topic's stream. For
 * each signal it finds the matching routes, derives each route's agent key, and appends the signal
 * to that agent's lane (SignalLanes.cs: per-agent order, adaptive batching, back-pressure).
 *
 * The dispatcher takes the stream in batches (up to StreamBatch signals per turn), so an agent's
 * signals of one turn meet in its lane and go in one delivery.
 *
 * Invariants
 *  - Per-agent order: signals are appended to lanes in stream order, and a lane delivers in
 *    append order, so each agent handles a topic's signals in publication order.
 *  - The dispatcher never waits for a handler: a turn only appends; beyond MaxSignalsInFlight in
 *    lanes it starts the lanes it opened and waits for room (back-pressure on the stream). The
 *    lanes a turn opened are always started before any wait (for room or for a dead letter), so
 *    the room it waits for is always on its way.
 *  - Deactivation waits for the lanes to drain (within the deactivation timeout), so the next
 *    activation's lanes never run beside this one's to the same agent.
 *  - A signal a route cannot key (no subject, nothing at the JSON path) is dead-lettered with the
 *    reason; other routes of the same signal still get it.
 *  - Every signal goes to the live feed of every silo (SSE, client taps) before its routes, in
 *    stream order, a turn's batch as one message per other silo; followers never hold back
 *    routing (see Feed/SignalFeed.cs).
 */

/// <summary>Counters of one topic's dispatcher; Lanes is how many agents it keeps a lane for (busy, or idle and not yet swept).</summary>
[GenerateSerializer]
[Immutable]
public sealed record TopicStats(
    [property: Id(0)] string Topic,
    [property: Id(1)] long Signals,
    [property: Id(2)] long Deliveries,
    [property: Id(3)] long Unroutable,
    [property: Id(4)] int Lanes);

/// <summary>The dispatcher of one topic (grain key = the topic).</summary>
public interface ISignalDispatcherGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<TopicStats> Stats();
}

/// <summary>Dispatches a topic's signals to the agents its routes name. See the invariants at the top of this file.</summary>
[GrainType("signal-dispatcher")]
[ImplicitStreamSubscription(SignalStreams.Namespace, MaxBatch = StreamBatch)]
public sealed partial class SignalDispatcherGrain(
    SignalRoutes routes,
    SignalFeedFanOut feed,
    IOptions<AgentServiceOptions> options,
    ILogger<SignalDispatcherGrain> logger) : Grain, ISignalDispatcherGrain
{
    /// <summary>The most signals the stream hands the dispatcher in one turn: enough for an agent's signals to meet in one lane.</summary>
    public const int StreamBatch = 8192;

    private SignalLanes? _lanes;
    private long _signals;
    private long _deliveries;
    private long _unroutable;

    private SignalLanes Lanes => _lanes ??= new SignalLanes(GrainFactory, options.Value.MaxSignalsInFlight, OnDeliveryFailed);

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        GetStreamProvider(options.Value.StreamProvider)
            .GetStream<Signal>(SignalStreams.For(this.GetPrimaryKeyString()))
            .SubscribeBatchAsync(DispatchAsync);

    /// <summary>
    /// Waits (within the deactivation timeout) for the lanes to drain: the next activation of this
    /// dispatcher starts with no lanes, so a delivery of this one still in flight would otherwise run
    /// beside the next one's to the same agent, and the agent could see the topic out of order.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_lanes?.WhenDrained() is not { } drained)
        {
            return;
        }

        try
        {
            await drained.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            LogDeactivatedWithLanes(logger, this.GetPrimaryKeyString(), reason.ToString());
        }
    }

    public Task<TopicStats> Stats() => Task.FromResult(new TopicStats(this.GetPrimaryKeyString(), _signals, _deliveries, _unroutable, _lanes?.Count ?? 0));

    private async Task DispatchAsync(IReadOnlyList<Signal> signals)
    {
        var lanes = Lanes;
        _signals += signals.Count;
        feed.PublishBatch(signals);
        string? topic = null;
        Topology.RouteDefinition[] matching = [];
        try
        {
            for (var s = 0; s < signals.Count; s++)
            {
                var signal = signals[s];
                if (!string.Equals(signal.Topic, topic, StringComparison.Ordinal))
                {
                    // A topic's stream carries that topic: its routes are looked up once a turn, not per signal.
                    topic = signal.Topic;
                    matching = routes.For(topic);
                }

                for (var r = 0; r < matching.Length; r++)
                {
                    var route = matching[r];
                    var key = route.Key.KeyOf(signal, out var error);
                    if (key.IsNone)
                    {
                        _unroutable++;
                        lanes.StartOpened();
                        await DeadLetterUnroutableAsync(signal, route, error!);
                        continue;
                    }

                    while (!lanes.TryStage(route.AgentType, key, signal))
                    {
                        lanes.StartOpened();
                        if (lanes.WaitForRoom() is { } room)
                        {
                            await room;
                        }
                    }

                    _deliveries++;
                }
            }
        }
        finally
        {
            lanes.StartOpened();
        }
    }

    private Task DeadLetterUnroutableAsync(Signal signal, Topology.RouteDefinition route, string error)
    {
        LogUnroutable(logger, signal.Id, signal.Topic, route.AgentType, error);
        return GrainFactory.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).Add(new DeadLetter
        {
            Signal = signal,
            Agent = $"{route.AgentType}/?",
            Attempts = 0,
            ErrorType = "Unroutable",
            ErrorMessage = $"{route.Location}: the route to '{route.AgentType}' could not derive a key ({route.Key}): {error}",
            At = DateTimeOffset.UtcNow,
        });
    }

    private void OnDeliveryFailed(Exception exception, Signal[] batch, AgentId agent) =>
        LogDeliveryFailed(logger, exception, batch.Length, batch[0].Id, this.GetPrimaryKeyString(), agent);

    [LoggerMessage(4200, LogLevel.Warning, "Signal {SignalId} on {Topic} could not be routed to '{AgentType}': {Reason}; it went to the dead letters")]
    private static partial void LogUnroutable(ILogger logger, string signalId, string topic, string agentType, string reason);

    [LoggerMessage(4202, LogLevel.Warning, "Dispatcher of {Topic} deactivated ({Reason}) before its deliveries in flight finished; an agent may see this topic's next signals beside the last ones")]
    private static partial void LogDeactivatedWithLanes(ILogger logger, string topic, string reason);

    [LoggerMessage(4201, LogLevel.Error, "{Count} signal(s) from {SignalId} on {Topic} could not be delivered to agent {Agent}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count, string signalId, string topic, AgentId agent);
}
