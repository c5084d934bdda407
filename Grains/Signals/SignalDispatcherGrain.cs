using Agents.Agents;
using Agents.Feed;
using Agents.Hosting;
using Agents.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Signals;

/*
 * One dispatcher per topic (grain key = topic), subscribed implicitly to the topic's stream. For
 * each signal it finds the matching routes, derives each route's agent key, and hands the signal to
 * that agent.
 *
 * Invariants
 *  - Per-agent order: the dispatcher sends an agent its signals in stream order, and an activation
 *    runs calls from one sender in the order they were sent, so each agent handles a topic's signals
 *    in publication order.
 *  - No head-of-line blocking: the dispatcher does not wait for a handler before dispatching the
 *    next signal, so an agent retrying a poisoned signal delays only itself.
 *  - Bounded: at most MaxDeliveriesInFlight deliveries are outstanding; beyond that the dispatcher
 *    waits for the oldest, which holds back the stream (back-pressure), not memory.
 *  - A signal a route cannot key (no subject, nothing at the JSON path) is dead-lettered with the
 *    reason; other routes of the same signal still get it.
 *  - Every signal goes to the live feed of every silo (SSE, client taps) before its routes, in
 *    stream order; followers never hold back routing (see Feed/SignalFeed.cs).
 */

/// <summary>Counters of one topic's dispatcher.</summary>
[GenerateSerializer]
[Immutable]
public sealed record TopicStats([property: Id(0)] string Topic, [property: Id(1)] long Signals, [property: Id(2)] long Deliveries, [property: Id(3)] long Unroutable);

/// <summary>The dispatcher of one topic (grain key = the topic).</summary>
public interface ISignalDispatcherGrain : IGrainWithStringKey
{
    [ReadOnly]
    Task<TopicStats> Stats();
}

/// <summary>Dispatches a topic's signals to the agents its routes name. See the invariants at the top of this file.</summary>
[GrainType("signal-dispatcher")]
[ImplicitStreamSubscription(SignalStreams.Namespace)]
public sealed partial class SignalDispatcherGrain(
    SignalRoutes routes,
    SignalFeedFanOut feed,
    IOptions<AgentServiceOptions> options,
    ILogger<SignalDispatcherGrain> logger) : Grain, ISignalDispatcherGrain
{
    private readonly Queue<Task> _inFlight = new();
    private long _signals;
    private long _deliveries;
    private long _unroutable;

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        GetStreamProvider(options.Value.StreamProvider)
            .GetStream<Signal>(SignalStreams.For(this.GetPrimaryKeyString()))
            .SubscribeAsync((signal, _) => DispatchAsync(signal));

    public Task<TopicStats> Stats() => Task.FromResult(new TopicStats(this.GetPrimaryKeyString(), _signals, _deliveries, _unroutable));

    private async Task DispatchAsync(Signal signal)
    {
        _signals++;
        feed.Publish(signal);
        var matching = routes.For(signal.Topic);
        for (var r = 0; r < matching.Count; r++) // no enumerator allocated per signal
        {
            var route = matching[r];
            var key = route.Key.KeyOf(signal, out var error);
            if (key is null)
            {
                _unroutable++;
                LogUnroutable(logger, signal.Id, signal.Topic, route.AgentType, error!);
                await GrainFactory.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).Add(new DeadLetter
                {
                    Signal = signal,
                    Agent = $"{route.AgentType}/?",
                    Attempts = 0,
                    ErrorType = "Unroutable",
                    ErrorMessage = $"{route.Location}: the route to '{route.AgentType}' could not derive a key ({route.Key}): {error}",
                    At = DateTimeOffset.UtcNow,
                });
                continue;
            }

            while (_inFlight.Count >= options.Value.MaxDeliveriesInFlight)
            {
                await _inFlight.Dequeue();
            }

            _deliveries++;
            var agent = new AgentId(route.AgentType, key);
            _inFlight.Enqueue(DeliverAsync(agent, signal));
            while (_inFlight.Count > 0 && _inFlight.Peek().IsCompleted)
            {
                _ = _inFlight.Dequeue();
            }
        }
    }

    private async Task DeliverAsync(AgentId agent, Signal signal)
    {
        try
        {
            // Not back on this grain's turn: the outcome needs no state here, and the dispatcher's turns are its throughput.
            await GrainFactory.GetGrain<IAgentGrain>(agent.GrainKey).Deliver(signal).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The agent's own failures are dead-lettered by the agent; this is a failure to reach it.
            LogDeliveryFailed(logger, ex, signal.Id, signal.Topic, agent);
        }
    }

    [LoggerMessage(4200, LogLevel.Warning, "Signal {SignalId} on {Topic} could not be routed to '{AgentType}': {Reason}; it went to the dead letters")]
    private static partial void LogUnroutable(ILogger logger, string signalId, string topic, string agentType, string reason);

    [LoggerMessage(4201, LogLevel.Error, "Signal {SignalId} on {Topic} could not be delivered to agent {Agent}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string signalId, string topic, AgentId agent);
}
