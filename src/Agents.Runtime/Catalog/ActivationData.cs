using Agents.Invocation;
using Agents.Streams;

namespace Agents.Runtime.Catalog;

/*
 * One activation of a grain: its instance, its work queues and its turn-based scheduler.
 *
 * Scheduling invariants
 *  1. One turn at a time. An activation is queued to the thread pool only when _scheduled flips
 *     false→true under the lock, and only Execute() flips it back, so at most one thread runs its
 *     work. Every piece of grain code - request starts, continuations after awaits, timer ticks,
 *     activation and deactivation - runs inside Execute().
 *  2. Awaits come back here. Execute() installs this object as the SynchronizationContext, so an
 *     `await` inside grain code posts its continuation to _ready rather than running it on
 *     whatever thread completed the awaited task.
 *  3. Non-reentrant means one request in progress. _running counts started-but-unfinished
 *     requests, timer ticks and lifecycle operations. A waiting request starts only when the rules
 *     in CanStartLocked allow it: nothing running; or the grain is [Reentrant]; or both it and
 *     everything running are [ReadOnly]; or it may interleave ([AlwaysInterleave], call-chain
 *     reentrancy) and the grain is Active. Interleaving requests skip the waiting queue while the
 *     grain is Active. Interleaving therefore only happens at awaits, never in parallel (invariant 1),
 *     and never beside activation or deactivation (invariant 4).
 *  3a. Exclusive work and cycles. Work that starts while nothing else runs on a non-reentrant
 *     activation (a request, a tick, activation, deactivation) is its exclusive work. The first call
 *     it makes creates an open call-chain link, closed when that work ends. A request arriving with
 *     an open link of this grain in its chain, that cannot start, is waiting on the work that waits
 *     for it: a cycle, failed at once. Calls made while interleaved work also runs get closed links:
 *     their owner is ambiguous, and a missed cycle (a timeout) is better than a false one.
 *  4. Lifecycle is exclusive. Activation (state read + OnActivateAsync) and deactivation
 *     (OnDeactivateAsync) run with _running > 0 and state != Active, so no request starts beside
 *     them. Requests arriving meanwhile wait, and after deactivation are re-routed to a new
 *     activation; after a failed activation they fail with its exception.
 *  5. A dead activation takes no new work: TryEnqueue returns false once state is Invalid, and
 *     the sender re-resolves the grain. The activation leaves the directory before it turns Invalid,
 *     so re-resolution finds a fresh one.
 */

/// <summary>One activation of a grain, and its scheduler.</summary>
internal sealed partial class ActivationData : SynchronizationContext, IGrainContext, IThreadPoolWorkItem, IRequestCallee
{
    private readonly GrainClassInfo _class;
    private readonly GrainCatalog _catalog;
    private object? _grain;
    private ActivationState _state;
    private bool _scheduled;
    private byte _flags;
    private int _running;
    private int _runningReadOnly;
    private Queue<object>? _waiting;
    private Queue<PostedWork>? _ready;
    private long _lastActiveTimestamp;
    private ActivationExtras? _extras;
    private object? _exclusiveWork;
    private CallChainLink? _exclusiveLink;

    private const byte FlagDeactivateOnIdle = 1;
    private const byte FlagLifecycleQueued = 2;

    public ActivationData(GrainId grainId, GrainClassInfo grainClass, GrainCatalog catalog, StatelessWorkerGroup? group = null)
    {
        GrainId = grainId;
        _class = grainClass;
        _catalog = catalog;
        Group = group;
        _state = ActivationState.Created;
        _lastActiveTimestamp = catalog.TimeProvider.GetTimestamp();
    }

    public GrainId GrainId { get; }

    public object? GrainInstance => _grain;

    public IServiceProvider ActivationServices => _catalog.Services;

    public IGrainFactory GrainFactory => _catalog.GrainFactory;

    internal GrainClassInfo GrainClass => _class;

    /// <summary>The stateless-worker pool this activation belongs to, if any.</summary>
    internal StatelessWorkerGroup? Group { get; }

    internal ActivationState State
    {
        get
        {
            lock (this)
            {
                return _state;
            }
        }
    }

    /// <summary>Requests, ticks and lifecycle operations in progress.</summary>
    internal int RunningCount => Volatile.Read(ref _running);

    /// <summary>Work not yet started.</summary>
    internal int QueuedCount
    {
        get
        {
            lock (this)
            {
                return (_waiting?.Count ?? 0) + (_ready?.Count ?? 0);
            }
        }
    }

    private ActivationExtras Extras => _extras ??= new ActivationExtras();

    public IStreamProvider GetStreamProvider(string name) => _catalog.GetStreamProvider(name);

    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName)
    {
        var state = new Storage.PersistentState<TState>(stateName, storageName, this, _catalog.StorageRegistry);
        lock (this)
        {
            (Extras.States ??= []).Add(state);
        }

        return state;
    }

    /// <summary>Per-activation data most activations never need; kept out of line to keep idle activations small.</summary>
    private sealed class ActivationExtras
    {
        public long KeepAliveUntil;
        public List<Timers.GrainTimer>? Timers;
        public List<Storage.IActivationState>? States;
        public DeactivationReason DeactivationReason;
        public TaskCompletionSource? Deactivated;
        public Dictionary<Guid, object>? StreamObservers;
        public GrainDirectory.GrainAddress? RegisteredAddress;
    }

    /// <summary>In a cluster: the directory entry this activation holds (null before it registered, or after it lost).</summary>
    internal GrainDirectory.GrainAddress? RegisteredAddress
    {
        get
        {
            lock (this)
            {
                return _extras?.RegisteredAddress;
            }
        }

        set
        {
            lock (this)
            {
                if (value is not null || _extras is not null)
                {
                    Extras.RegisteredAddress = value;
                }
            }
        }
    }

    /// <summary>Attaches the observer that receives a stream subscription's events in this activation.</summary>
    internal void SetStreamObserver(Guid subscriptionId, object observer)
    {
        lock (this)
        {
            (Extras.StreamObservers ??= [])[subscriptionId] = observer;
        }
    }

    internal void RemoveStreamObserver(Guid subscriptionId)
    {
        lock (this)
        {
            _extras?.StreamObservers?.Remove(subscriptionId);
        }
    }

    internal bool TryGetStreamObserver(Guid subscriptionId, out object observer)
    {
        lock (this)
        {
            if (_extras?.StreamObservers is { } observers && observers.TryGetValue(subscriptionId, out var found))
            {
                observer = found;
                return true;
            }
        }

        observer = null!;
        return false;
    }

    private readonly record struct PostedWork(SendOrPostCallback? Callback, object? State);

    public override string ToString() => $"[Activation {GrainId} {_state}]";
}

/// <summary>Where an activation is in its life.</summary>
internal enum ActivationState : byte
{
    /// <summary>In the directory, activation not started.</summary>
    Created,

    /// <summary>Reading state and running OnActivateAsync.</summary>
    Activating,

    /// <summary>Serving requests.</summary>
    Active,

    /// <summary>Finishing running work, then OnDeactivateAsync.</summary>
    Deactivating,

    /// <summary>Gone: removed from the directory, takes no work.</summary>
    Invalid,
}
