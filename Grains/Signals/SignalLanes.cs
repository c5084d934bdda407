using System.Diagnostics;
using System.Runtime.CompilerServices;
using Agents.Agents;
using Agents.Streams;
using Agents.Topology;

namespace Agents.Signals;

/*
 * The lanes of one topic's dispatcher. A lane belongs to one agent: the one delivery in flight to
 * it and the signals waiting behind it. The dispatcher's turn appends each signal to its agent's
 * lane; a lane that was idle is started when the turn ends; when a delivery completes, everything
 * waiting goes in the next one (at most MaxBatch signals and MaxBatchBytes by their size estimate,
 * so a delivery to another silo fits a frame). Idle, a signal goes out at once, alone; under load
 * an agent gets its signals a batch per call instead of a call per signal (adaptive batching, as a
 * group commit does for disk writes).
 *
 * Invariants
 *  - Per-agent order: a lane has at most one delivery loop (Busy is set when an idle lane gets a
 *    signal and cleared only by the loop, under the lock, when nothing waits), and the loop sends
 *    the waiting signals in arrival order, so each agent handles a topic's signals in stream order.
 *  - No head-of-line blocking: nothing here waits for a handler; an agent retrying a poisoned
 *    signal holds up only its own lane.
 *  - Bounded: at most maxInFlight signals are in lanes (in flight or waiting); WaitForRoom tells
 *    the dispatcher to wait (after starting the lanes it opened, so the room it waits for is on
 *    its way), which holds back the stream (back-pressure), not memory.
 *  - Every lane drains: whatever a delivery ends in (handled, failed, timed out), its signals are
 *    counted out and the lane's next batch goes, so a lane never holds room for ever.
 *  - Lanes outlive their deliveries, so an agent's next signals reuse its lane and its grain
 *    reference; idle lanes are swept once the lanes outnumber MaxIdleLanes (and then twice what the
 *    last sweep left), so a topic keyed by millions of values keeps at most about that many idle.
 *  - Starting a lane's delivery is a grain call; the lanes a turn opened are started on the thread
 *    pool, not on the dispatcher's turn, whose throughput bounds the topic's.
 *  - The lane table (which lanes exist) belongs to the dispatcher's turn: lookups, new lanes and
 *    sweeps all happen on it, so it takes no lock. A lane's queue and busy flag, and the count of
 *    signals in lanes, are shared with delivery completions (on pool threads) and are read and
 *    written under _lock; no call is made while holding it, and nothing is looked up: the turn
 *    finds each signal's lane as it stages it and takes the lock once per StageSize of them, for
 *    the appends alone (a lock per signal, or lookups of cold table entries under it, kept the
 *    completions spinning). Staged signals are flushed into their lanes before lanes start, before
 *    any wait and before a sweep, so staging never delays a delivery past the turn that staged it
 *    and a sweep never removes a lane with signals staged for it.
 */

/// <summary>The lanes of one dispatcher; see the invariants at the top of this file.</summary>
internal sealed class SignalLanes
{
    /// <summary>The most signals one delivery to an agent carries.</summary>
    public const int MaxBatch = 256;

    /// <summary>
    /// The most bytes (by the signals' own estimate, which counts 3 per character) one delivery carries past its
    /// first signal: a delivery to an agent on another silo is one frame, and this stays far inside the default limit.
    /// </summary>
    public const int MaxBatchBytes = 1 << 20;

    /// <summary>Idle lanes kept before a sweep removes them.</summary>
    public const int MaxIdleLanes = 4096;

    /// <summary>How many signals are staged before they go into their lanes under one lock.</summary>
    private const int StageSize = 128;

    /// <summary>Reports signals that could not be delivered (the agent could not be reached; its own failures are dead-lettered by it).</summary>
    public delegate void DeliveryFailed(Exception exception, Signal[] batch, AgentId agent);

    private readonly IGrainFactory _grains;
    private readonly int _maxInFlight;
    private readonly DeliveryFailed _deliveryFailed;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, Lane>> _byType = new(StringComparer.Ordinal);
    private readonly Staged[] _staged = new Staged[StageSize]; // turn only
    private int _stagedCount; // turn only
    private int _roomLeft; // how many more may be staged before the lanes are full, as of the last flush (turn only)
    private string? _lastType; // the agent type whose lanes _lastTypeLanes are (turn only)
    private Dictionary<string, Lane>.AlternateLookup<ReadOnlySpan<char>> _lastTypeLanes; // turn only
    private List<Lane>? _opened; // lanes made busy by the dispatcher's current turn, not yet started (turn only)
    private int _lanes; // turn only
    private int _sweepAt = MaxIdleLanes; // turn only
    private int _inLanes; // signals in flight or waiting, under _lock
    private TaskCompletionSource? _room; // set when the dispatcher waits for _inLanes to drop, under _lock
    private TaskCompletionSource? _drained; // set when a deactivation waits for _inLanes to reach 0, under _lock

    public SignalLanes(IGrainFactory grains, int maxInFlight, DeliveryFailed deliveryFailed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _grains = grains;
        _maxInFlight = maxInFlight;
        _deliveryFailed = deliveryFailed;
    }

    /// <summary>How many lanes there are, busy or idle (not yet swept); on the turn.</summary>
    public int Count => _lanes;

    /// <summary>
    /// Stages <paramref name="signal"/> for the lane of agent (<paramref name="agentType"/>, <paramref name="key"/>); on the
    /// dispatcher's turn. Staged signals go into their lanes together, under one lock (every StageSize signals, and before
    /// lanes start or the dispatcher waits). False when the lanes are full: wait for <see cref="WaitForRoom"/> and stage again.
    /// </summary>
    public bool TryStage(string agentType, RouteKey key, Signal signal)
    {
        if (_roomLeft == 0)
        {
            Flush();
            if (_roomLeft == 0)
            {
                return false;
            }
        }

        // The lane is found, and the signal sized, here, outside the lock: the lock covers only the appends.
        _staged[_stagedCount++] = new Staged(LaneOf(agentType, key), new WaitingSignal(signal));
        _roomLeft--;
        if (_stagedCount == StageSize)
        {
            Flush();
        }

        return true;
    }

    /// <summary>Appends the staged signals to their lanes, marking idle lanes busy and opened; takes the room left.</summary>
    private void Flush()
    {
        lock (_lock)
        {
            for (var i = 0; i < _stagedCount; i++)
            {
                var (lane, waiting) = _staged[i];
                lane.Waiting.Enqueue(waiting);
                if (!lane.Busy)
                {
                    lane.Busy = true;
                    (_opened ??= []).Add(lane);
                }
            }

            _inLanes += _stagedCount;
            _roomLeft = Math.Max(0, _maxInFlight - _inLanes);
        }

        Array.Clear(_staged, 0, _stagedCount);
        _stagedCount = 0;
    }

    /// <summary>The lane of agent (<paramref name="agentType"/>, <paramref name="key"/>), made if there is none; on the turn, which alone owns the table.</summary>
    private Lane LaneOf(string agentType, RouteKey key)
    {
        if (!ReferenceEquals(agentType, _lastType))
        {
            if (!_byType.TryGetValue(agentType, out var lanes))
            {
                _byType.Add(agentType, lanes = new Dictionary<string, Lane>(StringComparer.Ordinal));
            }

            _lastTypeLanes = lanes.GetAlternateLookup<ReadOnlySpan<char>>();
            _lastType = agentType;
        }

        // Looked up by the key's characters: a key that is a slice of the signal's data becomes a string only for a new lane.
        if (!_lastTypeLanes.TryGetValue(key.Span, out var lane))
        {
            var text = key.ToString();
            lane = new Lane(this, new AgentId(agentType, text));
            _lastTypeLanes.Dictionary.Add(text, lane);
            _lanes++;
        }

        return lane;
    }

    /// <summary>Starts the lanes this turn opened (on the thread pool); then sweeps idle lanes if there are too many. On the dispatcher's turn.</summary>
    public void StartOpened()
    {
        Flush();
        if (_opened is { } opened)
        {
            _opened = null;
            ThreadPool.UnsafeQueueUserWorkItem(static lanes =>
            {
                foreach (var lane in lanes)
                {
                    lane.Deliver();
                }
            }, opened, preferLocal: false);
        }

        if (_lanes >= _sweepAt)
        {
            lock (_lock)
            {
                Sweep();
            }
        }
    }

    /// <summary>Null when a signal may go into a lane now; otherwise the task that completes when there is room.</summary>
    public Task? WaitForRoom()
    {
        Flush();
        lock (_lock)
        {
            if (_inLanes < _maxInFlight)
            {
                _roomLeft = _maxInFlight - _inLanes;
                return null;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Null when no signal is in a lane; otherwise the task that completes when the last one has been delivered.</summary>
    public Task? WhenDrained()
    {
        lock (_lock)
        {
            if (_inLanes == 0)
            {
                return null;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>How many of the waiting signals the next delivery takes: at most MaxBatch, and MaxBatchBytes past the first.</summary>
    internal static int BatchCount(Queue<WaitingSignal> waiting) =>
        SignalBatches.Fit<Queue<WaitingSignal>.Enumerator, WaitingSignal>(waiting.GetEnumerator(), MaxBatch, MaxBatchBytes);

    /// <summary>Counts <paramref name="delivered"/> signals out of the lanes and takes the lane's next batch, or marks the lane idle when nothing waits.</summary>
    private Signal[]? NextBatch(Lane lane, int delivered)
    {
        TaskCompletionSource? room = null;
        TaskCompletionSource? drained = null;
        Signal[]? batch = null;
        lock (_lock)
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
                lane.Busy = false;
            }
            else
            {
                batch = new Signal[count];
                for (var i = 0; i < count; i++)
                {
                    batch[i] = lane.Waiting.Dequeue().Signal;
                }
            }
        }

        room?.SetResult();
        drained?.SetResult();
        return batch;
    }

    /// <summary>Removes the idle lanes; on the turn, with nothing staged (a staged lane is not busy yet), under _lock (Busy is shared).</summary>
    private void Sweep()
    {
        Debug.Assert(_stagedCount == 0, "a sweep with signals staged could remove their lanes");
        foreach (var lanes in _byType.Values)
        {
            foreach (var (key, lane) in lanes)
            {
                if (!lane.Busy)
                {
                    lanes.Remove(key); // allowed while enumerating a Dictionary
                    _lanes--;
                }
            }
        }

        _sweepAt = Math.Max(MaxIdleLanes, _lanes * 2);
        _lastType = null; // looked up again on the next lookup (tables are emptied, not removed, so this is only tidiness)
    }

    private readonly record struct Staged(Lane Lane, WaitingSignal Waiting);

    /// <summary>
    /// A signal in a lane, with its size estimate read when it was staged (the dispatcher's turn had the signal in cache):
    /// cutting a delivery to size then reads the lane's queue alone, not every signal again, under the lock.
    /// </summary>
    internal readonly struct WaitingSignal(Signal signal) : IStreamItemSize
    {
        public Signal Signal { get; } = signal;

        public int ApproximateSize { get; } = ((IStreamItemSize)signal).ApproximateSize;
    }

    /// <summary>One agent's delivery in flight and the signals waiting behind it.</summary>
    private sealed class Lane
    {
        private readonly SignalLanes _owner;
        private readonly Action _onDelivered;
        private IAgentGrain? _grain;
        private Signal[]? _inFlight;
        private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _delivery;

        public Lane(SignalLanes owner, AgentId agent)
        {
            _owner = owner;
            Agent = agent;
            _onDelivered = OnDelivered;
        }

        public AgentId Agent { get; }

        /// <summary>Signals waiting behind the delivery in flight; under the owner's lock.</summary>
        public Queue<WaitingSignal> Waiting { get; } = new();

        /// <summary>Whether the lane's delivery loop runs (a delivery in flight or about to start); under the owner's lock.</summary>
        public bool Busy { get; set; }

        /// <summary>The delivery loop: sends what waits, a batch at a time, until nothing waits.</summary>
        public void Deliver() => Continue(delivered: 0);

        private void Continue(int delivered)
        {
            while (_owner.NextBatch(this, delivered) is { } batch)
            {
                delivered = batch.Length;
                try
                {
                    // Consumed exactly once: GetResult here or in OnDelivered (CA2012 cannot see through the awaiter).
#pragma warning disable CA2012
                    var delivery = (_grain ??= _owner._grains.GetGrain<IAgentGrain>(Agent.GrainKey)).DeliverBatch(batch).ConfigureAwait(false).GetAwaiter();
#pragma warning restore CA2012
                    if (!delivery.IsCompleted)
                    {
                        // The loop goes on in OnDelivered, on whichever thread completes the delivery.
                        _inFlight = batch;
                        _delivery = delivery;
                        delivery.UnsafeOnCompleted(_onDelivered);
                        return;
                    }

                    delivery.GetResult();
                }
                catch (Exception ex)
                {
                    _owner._deliveryFailed(ex, batch, Agent);
                }
            }
        }

        private void OnDelivered()
        {
            var batch = _inFlight!;
            _inFlight = null;
            try
            {
                _delivery.GetResult();
            }
            catch (Exception ex)
            {
                _owner._deliveryFailed(ex, batch, Agent);
            }

            _delivery = default;
            Continue(batch.Length);
        }
    }
}
