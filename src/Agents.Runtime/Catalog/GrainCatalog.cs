using System.Collections.Concurrent;
using Agents.Invocation;
using Agents.Runtime.Hosting;
using Agents.Runtime.Messaging;
using Agents.Runtime.Storage;
using Agents.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Catalog;

/*
 * The silo's activations: the local grain directory, delivery of requests to activations, and
 * the activations' lifecycle bookkeeping (idle collection, shutdown).
 *
 * Single activation: an activation is created cheaply (no grain instance yet) and offered to the
 * directory with GetOrAdd; only the instance that won the race is started, everyone else uses the
 * winner. So concurrent first calls to a grain create exactly one activation.
 *
 * Delivery never throws at the caller: a request that cannot be delivered (unknown grain type,
 * silo shutting down, activation failed) completes its caller with the reason.
 */
internal sealed partial class GrainCatalog : IDisposable
{
    private const int MaxDeliveryAttempts = 32;

    private readonly ConcurrentDictionary<GrainId, object> _directory = new();
    private readonly IIncomingGrainCallFilter[] _incomingFilters;
    private readonly ITimer _collectionTimer;
    private int _activationCount;
    private volatile bool _shuttingDown;
    private TaskCompletionSource? _allDeactivated;

    public GrainCatalog(
        IServiceProvider services,
        GrainTypeRegistry registry,
        IOptions<SiloOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        Services = services;
        Registry = registry;
        Options = options.Value;
        TimeProvider = timeProvider;
        Log = new CatalogLog(loggerFactory.CreateLogger("Agents.Runtime.Catalog"));
        PendingCalls = new PendingCallRegistry(timeProvider, Options.ResponseTimeoutCheckPeriod);
        StorageRegistry = new GrainStorageRegistry(services);
        _incomingFilters = services.GetServices<IIncomingGrainCallFilter>().ToArray();
        _collectionTimer = timeProvider.CreateTimer(static c => ((GrainCatalog)c!).CollectIdleActivations(), this, Options.CollectionQuantum, Options.CollectionQuantum);
    }

    public IServiceProvider Services { get; }

    public GrainTypeRegistry Registry { get; }

    public SiloOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    public PendingCallRegistry PendingCalls { get; }

    public GrainStorageRegistry StorageRegistry { get; }

    internal CatalogLog Log { get; }

    /// <summary>Set by the runtime after construction (the factory needs the runtime, the runtime needs the catalog).</summary>
    public IGrainFactory GrainFactory { get; set; } = null!;

    public bool HasIncomingFilters => _incomingFilters.Length > 0;

    /// <summary>In a cluster: routing, the distributed directory and the wire. Null for a single silo.</summary>
    internal Messaging.Remote.ClusterRouter? Cluster { get; set; }

    /// <summary>Whether this silo has a live activation (or worker pool) of the grain.</summary>
    internal bool HasActivation(GrainId grainId) => _directory.ContainsKey(grainId);

    /// <summary>This silo's live activation (an ActivationData) or worker pool (a StatelessWorkerGroup) of the grain, if any; for <see cref="Deliver(GrainRequest, object)"/>.</summary>
    internal bool TryGetTarget(GrainId grainId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? target) =>
        _directory.TryGetValue(grainId, out target);

    /// <summary>Live activations on this silo, stateless workers included.</summary>
    public int ActivationCount => Volatile.Read(ref _activationCount);

    /// <summary>
    /// Delivers to <paramref name="target"/>, which <see cref="TryGetTarget"/> just found for the
    /// request's grain. Should it have gone since (it refuses the request), resolves again as
    /// <see cref="Deliver(GrainRequest)"/> does: exactly what Deliver does with the same find, minus the lookup.
    /// </summary>
    public void Deliver(GrainRequest request, object target)
    {
        if (target is ActivationData activation)
        {
            if (request.TargetReference is { } reference)
            {
                reference.CachedTarget = activation;
            }

            if (activation.TryEnqueue(request))
            {
                return;
            }
        }
        else if (((StatelessWorkerGroup)target).TryEnqueue(request))
        {
            return;
        }

        // Refused, so not handed over: the request is still ours to route.
        Deliver(request);
    }

    /// <summary>Routes a request to its grain's activation, creating it if needed.</summary>
    public void Deliver(GrainRequest request)
    {
        // Once enqueued, a one-way request may run, finish and be recycled at once: read what is
        // needed afterwards first, and never touch the request after handing it over.
        var reference = request.TargetReference;
        var grainId = request.TargetId;
        if (reference?.CachedTarget is ActivationData cached && cached.TryEnqueue(request))
        {
            return;
        }

        for (var attempt = 0; attempt < MaxDeliveryAttempts; attempt++)
        {
            object target;
            bool created;
            try
            {
                target = GetOrCreateTarget(grainId, out created);
            }
            catch (Exception exception)
            {
                FailUndelivered(request, exception);
                return;
            }

            if (target is ActivationData activation)
            {
                if (reference is not null)
                {
                    reference.CachedTarget = activation;
                }

                if (created)
                {
                    // Join the new activation before it starts: were it to fail at once, this call
                    // gets its exception instead of starting a second activation.
                    activation.TryEnqueue(request);
                    StartNewActivation(activation);
                    return;
                }

                if (activation.TryEnqueue(request))
                {
                    return;
                }
            }
            else if (((StatelessWorkerGroup)target).TryEnqueue(request))
            {
                return;
            }

            // The activation we found is gone; it has left the directory, so look again.
            Thread.Yield();
        }

        FailUndelivered(request, new AgentsException($"Could not deliver {request.Method} to {grainId}: its activation kept deactivating."));
    }

    /// <summary>
    /// Delivers a request again after the activation holding it deactivated before running it. A
    /// request is forwarded at most <see cref="MaxForwards"/> times, so a grain that deactivates
    /// as soon as it activates (DeactivateOnIdle in OnActivateAsync) cannot bounce it forever.
    /// </summary>
    public void Redeliver(GrainRequest request)
    {
        if (request.TargetReference is { } reference)
        {
            reference.CachedTarget = null;
        }

        if (++request.ForwardCount > MaxForwards)
        {
            FailUndelivered(request, new AgentsException(
                $"{request.Method} to {request.TargetId} was forwarded {MaxForwards} times because each activation of the grain deactivated " +
                "before running it (does the grain call DeactivateOnIdle in OnActivateAsync?)."));
            return;
        }

        Deliver(request);
    }

    private const int MaxForwards = 2;

    /// <summary>Whether graceful shutdown has begun: no new activations.</summary>
    public bool IsShuttingDown => _shuttingDown;

    private object GetOrCreateTarget(GrainId grainId, out bool created)
    {
        created = false;
        if (_directory.TryGetValue(grainId, out var existing))
        {
            return existing;
        }

        if (_shuttingDown)
        {
            throw new SiloUnavailableException($"Grain {grainId} cannot be activated: the silo is shutting down.");
        }

        if (!Registry.TryGetClass(grainId.Type, out var grainClass))
        {
            throw new GrainTypeNotFoundException(
                $"Unknown grain type '{grainId.Type}' (grain {grainId}). Known grain types: {string.Join(", ", Registry.GrainTypes.Select(t => t.Value).Order(StringComparer.Ordinal))}.");
        }

        object candidate = grainClass.IsStatelessWorker
            ? new StatelessWorkerGroup(grainId, grainClass, this)
            : new ActivationData(grainId, grainClass, this);
        var winner = _directory.GetOrAdd(grainId, candidate);
        if (ReferenceEquals(winner, candidate) && candidate is ActivationData)
        {
            OnActivationCreated();
            created = true;
        }

        return winner;
    }

    /// <summary>Starts an activation this silo just created (its first request already queued).</summary>
    internal void StartNewActivation(ActivationData activation)
    {
        activation.StartActivation();
        if (_shuttingDown)
        {
            // Created in the race with shutdown's snapshot of activations: deactivate it too.
            activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down."));
        }
    }

    internal void OnActivationCreated() => Interlocked.Increment(ref _activationCount);

    /// <summary>Takes an activation out of the directory (or its worker pool). Called before it turns Invalid.</summary>
    public void RemoveActivation(ActivationData activation)
    {
        if (activation.Group is { } group)
        {
            group.Remove(activation);
        }
        else if (_directory.TryRemove(new KeyValuePair<GrainId, object>(activation.GrainId, activation)))
        {
            Cluster?.OnActivationRemoved(activation);
        }
    }

    public void OnActivationInvalid(ActivationData activation)
    {
        if (Interlocked.Decrement(ref _activationCount) == 0 && _shuttingDown)
        {
            Volatile.Read(ref _allDeactivated)?.TrySetResult();
        }
    }

    /// <summary>The local activation of a grain, if there is one (tests and diagnostics).</summary>
    internal ActivationData? FindActivation(GrainId grainId) => _directory.TryGetValue(grainId, out var target) ? target as ActivationData : null;

    /// <summary>Every live activation, stateless workers included.</summary>
    internal IEnumerable<ActivationData> Activations
    {
        get
        {
            foreach (var target in _directory.Values)
            {
                if (target is ActivationData activation)
                {
                    yield return activation;
                }
                else
                {
                    foreach (var worker in ((StatelessWorkerGroup)target).Workers)
                    {
                        yield return worker;
                    }
                }
            }
        }
    }

    /// <summary>Completes the caller of a local call from its invocation's outcome.</summary>
    public void CompleteLocalCall(GrainRequest request)
    {
        PendingCalls.Untrack(request);
        if (request.Method.IsOneWay)
        {
            if (request.InvocationException is { } exception)
            {
                Log.OneWayCallFailed(request.Method.ToString(), request.TargetId, exception);
            }

            // Nobody waits for a one-way call, but an outgoing filter around it does.
            request.OutcomeSink?.OnOutcome(request);
            return;
        }

        request.CompleteCallerFromInvocation();
    }

    /// <summary>Ends a request that never ran: its caller gets <paramref name="exception"/>.</summary>
    public void FailUndelivered(GrainRequest request, Exception exception)
    {
        request.InvocationException = exception;
        CompleteLocalCall(request);
        request.ReleaseCallee();
    }

    public IStreamProvider GetStreamProvider(string name) =>
        Services.GetKeyedService<IStreamProvider>(name)
        ?? throw new KeyNotFoundException(
            $"No stream provider named '{name}' is configured. Add one with silo.AddMemoryStreams(\"{name}\") or set Agents:Streams:{name}:Provider.");

    public CancellationTokenSource? CreateTimeout(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, TimeProvider);

    internal void OnSchedulerFault(ActivationData activation, Exception exception) => Log.SchedulerFault(activation.GrainId, exception);

    /// <summary>Deactivates activations idle for longer than their collection age.</summary>
    internal void CollectIdleActivations()
    {
        var now = TimeProvider.GetTimestamp();
        var collected = 0;
        foreach (var activation in Activations)
        {
            var idle = activation.GetIdleTime(now);
            if (idle < 0)
            {
                continue;
            }

            var age = activation.GrainClass.CollectionAge ?? Options.CollectionAge;
            if (idle >= (long)(age.TotalSeconds * TimeProvider.TimestampFrequency))
            {
                activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.IdleCollection, $"Idle for more than {age}."));
                collected++;
            }
        }

        if (collected > 0)
        {
            Log.CollectedIdle(collected);
        }
    }

    /// <summary>
    /// Graceful shutdown: refuse new activations, deactivate every activation (running
    /// OnDeactivateAsync, where grains write their state), within the shutdown timeout.
    /// </summary>
    public async Task DeactivateAllAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        Volatile.Write(ref _allDeactivated, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var count = ActivationCount;
        Log.ShuttingDown(count);
        if (count == 0)
        {
            return;
        }

        var reason = new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down.");
        foreach (var activation in Activations)
        {
            activation.RequestDeactivation(reason);
        }

        try
        {
            if (ActivationCount > 0)
            {
                await _allDeactivated!.Task.WaitAsync(Options.ShutdownTimeout, TimeProvider, cancellationToken);
            }
        }
        catch (TimeoutException)
        {
            Log.ShutdownTimedOut(ActivationCount, Options.ShutdownTimeout);
        }
    }

    public void Dispose()
    {
        _collectionTimer.Dispose();
        PendingCalls.Dispose();
    }
}
