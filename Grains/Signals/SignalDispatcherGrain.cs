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
 * The dispatcher takes the stream in batches (up to StreamBatch signals per turn). Each agent it is
 * sending to has a lane: the one delivery in flight to that agent and the signals waiting behind
 * it. A turn appends each signal to its agent's lane and, at the end, starts the lanes it opened;
 * when a delivery completes, everything waiting goes in the next one (at most MaxBatch signals and
 * MaxBatchBytes by their size estimate, so a delivery to another silo fits a frame).
 * Idle, a signal goes out at once, alone; under load an agent gets its signals a batch per call
 * instead of a call per signal (adaptive batching, as a group commit does for disk writes).
 *
 * Invariants
 *  - Per-agent order: a lane has at most one delivery in flight and sends its waiting signals in
 *    arrival order, so each agent handles a topic's signals in stream (publication) order.
 *  - No head-of-line blocking: the dispatcher never waits for a handler; an agent retrying a
 *    poisoned signal holds up only its own lane.
 *  - Bounded: at most MaxSignalsInFlight signals are in lanes (in flight or waiting); beyond that
 *    the dispatcher's turn starts the lanes it opened and waits for room, which holds back the
 *    stream (back-pressure), not memory. Lanes opened but not started are always started before
 *    any wait (for room or for a dead letter), so the room the dispatcher waits for is always on
 *    its way.
 *  - Every lane drains: whatever a delivery ends in (handled, failed, timed out), its signals are
 *    counted out and the lane's next batch goes, so a lane never holds room for ever.
 *  - Deactivation waits for the lanes to drain (within the deactivation timeout), so the next
 *    activation's lanes never run beside this one's to the same agent.
 *  - Lanes exist only while they carry signals: the last completion of an idle lane removes it
 *    (and keeps the empty lane for reuse, up to MaxSpareLanes, so a busy topic does not allocate
 *    a lane per agent per turn).
 *  - Lanes are touched by the dispatcher's turn and by delivery completions (on pool threads), so
 *    every lane operation holds _lanes' lock; no call is made while holding it.
 *  - A signal a route cannot key (no subject, nothing at the JSON path) is dead-lettered with the
 *    reason; other routes of the same signal still get it.
 *  - Every signal goes to the live feed of every silo (SSE, client taps) before its routes, in
 *    stream order, a turn's batch as one message per other silo; followers never hold back
 *    routing (see Feed/SignalFeed.cs).
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
[ImplicitStreamSubscription(SignalStreams.Namespace, MaxBatch = StreamBatch)]
public sealed partial class SignalDispatcherGrain(
    SignalRoutes routes,
    SignalFeedFanOut feed,
    IOptions<AgentServiceOptions> options,
    ILogger<SignalDispatcherGrain> logger) : Grain, ISignalDispatcherGrain
{
    /// <summary>The most signals one delivery to an agent carries.</summary>
    public const int MaxBatch = 256;

    /// <summary>
    /// The most bytes (by the signals' own estimate, which counts 3 per character) one delivery carries past its
    /// first signal: a delivery to an agent on another silo is one frame, and this stays far inside the default limit.
    /// </summary>
    public const int MaxBatchBytes = 1 << 20;

    /// <summary>The most signals the stream hands the dispatcher in one turn: enough for an agent's signals to meet in one lane.</summary>
    public const int StreamBatch = 4096;

    private const int MaxSpareLanes = 4096;

    private readonly Dictionary<(string Type, string Key), Lane> _lanes = [];
    private readonly Stack<Lane> _spareLanes = new(); // under _lanes' lock
    private readonly int _maxInFlight = options.Value.MaxSignalsInFlight;
    private int _inLanes; // signals in flight or waiting, under _lanes' lock
    private TaskCompletionSource? _room; // set when the dispatcher waits for _inLanes to drop, under _lanes' lock
    private TaskCompletionSource? _drained; // set when a deactivation waits for _inLanes to reach 0, under _lanes' lock
    private long _signals;
    private long _deliveries;
    private long _unroutable;

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
        Task drained;
        lock (_lanes)
        {
            if (_inLanes == 0)
            {
                return;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
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

    public Task<TopicStats> Stats() => Task.FromResult(new TopicStats(this.GetPrimaryKeyString(), _signals, _deliveries, _unroutable));

    private async Task DispatchAsync(IReadOnlyList<Signal> signals)
    {
        List<Lane>? opened = null;
        _signals += signals.Count;
        feed.PublishBatch(signals);
        try
        {
            for (var s = 0; s < signals.Count; s++)
            {
                var signal = signals[s];
                var matching = routes.For(signal.Topic);
                for (var r = 0; r < matching.Count; r++) // no enumerator allocated per signal
                {
                    var route = matching[r];
                    var key = route.Key.KeyOf(signal, out var error);
                    if (key is null)
                    {
                        _unroutable++;
                        StartLanes(ref opened);
                        await DeadLetterUnroutableAsync(signal, route, error!);
                        continue;
                    }

                    if (WaitForRoom() is { } room)
                    {
                        StartLanes(ref opened);
                        await room;
                    }

                    _deliveries++;
                    lock (_lanes)
                    {
                        _inLanes++;
                        if (!_lanes.TryGetValue((route.AgentType, key), out var lane))
                        {
                            lane = _spareLanes.TryPop(out var spare) ? spare : new Lane();
                            lane.Agent = new AgentId(route.AgentType, key);
                            _lanes.Add((route.AgentType, key), lane);
                            (opened ??= []).Add(lane);
                        }

                        lane.Waiting.Enqueue(signal);
                    }
                }
            }
        }
        finally
        {
            StartLanes(ref opened);
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

    private void StartLanes(ref List<Lane>? opened)
    {
        if (opened is null)
        {
            return;
        }

        foreach (var lane in opened)
        {
            _ = RunLaneAsync(lane);
        }

        opened = null;
    }

    /// <summary>Null when a signal may go into a lane now; otherwise the task that completes when there is room.</summary>
    private Task? WaitForRoom()
    {
        lock (_lanes)
        {
            if (_inLanes < _maxInFlight)
            {
                return null;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Delivers what waits in the lane, a batch at a time, until it is empty and removed.</summary>
    private async Task RunLaneAsync(Lane lane)
    {
        var id = lane.Agent; // the lane is reused for another agent once NextBatch has removed it
        IAgentGrain? agent = null;
        var batch = NextBatch(lane, delivered: 0);
        while (batch is not null)
        {
            try
            {
                // Not back on this grain's turn: the outcome needs no state here, and the dispatcher's turns are its throughput.
                agent ??= GrainFactory.GetGrain<IAgentGrain>(id.GrainKey);
                await agent.DeliverBatch(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The agent's own failures are dead-lettered by the agent; this is a failure to reach it.
                LogDeliveryFailed(logger, ex, batch.Length, batch[0].Id, this.GetPrimaryKeyString(), id);
            }

            batch = NextBatch(lane, delivered: batch.Length);
        }
    }

    /// <summary>Counts <paramref name="delivered"/> signals out of the lanes and takes the lane's next batch, or removes the lane when nothing waits.</summary>
    private Signal[]? NextBatch(Lane lane, int delivered)
    {
        TaskCompletionSource? room = null;
        TaskCompletionSource? drained = null;
        Signal[]? batch = null;
        lock (_lanes)
        {
            _inLanes -= delivered;
            if (_room is not null && _inLanes < _maxInFlight)
            {
                room = _room;
                _room = null;
            }

            if (_drained is not null && _inLanes == 0)
            {
                drained = _drained;
                _drained = null;
            }

            var count = BatchCount(lane.Waiting);
            if (count == 0)
            {
                _lanes.Remove((lane.Agent.Type, lane.Agent.Key));
                if (_spareLanes.Count < MaxSpareLanes)
                {
                    _spareLanes.Push(lane);
                }
            }
            else
            {
                batch = new Signal[count];
                for (var i = 0; i < count; i++)
                {
                    batch[i] = lane.Waiting.Dequeue();
                }
            }
        }

        room?.SetResult();
        drained?.SetResult();
        return batch;
    }

    /// <summary>How many of the waiting signals the next delivery takes: at most MaxBatch, and MaxBatchBytes past the first.</summary>
    internal static int BatchCount(Queue<Signal> waiting) => SignalBatches.Fit(waiting, MaxBatch, MaxBatchBytes);

    /// <summary>One agent's delivery in flight and the signals waiting behind it.</summary>
    private sealed class Lane
    {
        public AgentId Agent { get; set; }

        public Queue<Signal> Waiting { get; } = new();
    }

    [LoggerMessage(4200, LogLevel.Warning, "Signal {SignalId} on {Topic} could not be routed to '{AgentType}': {Reason}; it went to the dead letters")]
    private static partial void LogUnroutable(ILogger logger, string signalId, string topic, string agentType, string reason);

    [LoggerMessage(4202, LogLevel.Warning, "Dispatcher of {Topic} deactivated ({Reason}) before its deliveries in flight finished; an agent may see this topic's next signals beside the last ones")]
    private static partial void LogDeactivatedWithLanes(ILogger logger, string topic, string reason);

    [LoggerMessage(4201, LogLevel.Error, "{Count} signal(s) from {SignalId} on {Topic} could not be delivered to agent {Agent}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, int count, string signalId, string topic, AgentId agent);
}
