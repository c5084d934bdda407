using System.Collections.Concurrent;
using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Membership;
using Agents.Runtime.Placement;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Messaging.Remote;

/*
 * Where a call goes in a cluster.
 *
 *  1. A grain with a live activation here is called here (no directory traffic). Stateless
 *     workers are always local: every silo runs its own pool.
 *  2. Otherwise the location cache, then the directory: a registered activation on a live silo is
 *     called where it is, and the answer is cached.
 *  3. A grain with no activation is placed by its class's placement director among the Active
 *     silos and the call is sent there; that silo activates it and registers it. Should another
 *     activation have registered first, the newcomer hands its calls to the winner (bounded by the
 *     request's forward count) and goes away: one activation per grain, whatever the races.
 *
 * Calls arriving from other silos are delivered here without routing (the sender routed them).
 * Calls arriving from clients through the gateway are routed like local calls.
 *
 * Order: calls from one sender to one grain leave in the order they were made. While a grain's
 * location is being resolved, later calls to it wait in that resolution's queue and go, in order,
 * right behind the first; the location is cached only once the queue is empty, under the same
 * lock, so no call can overtake a queued one through the cache.
 *
 * The cache is only a hint: an entry may name an activation that has since deactivated; the silo it
 * names then activates the grain again or forwards to the winner, so a stale entry costs a hop, not
 * a wrong answer. Entries naming a silo that left the view are dropped on the view change.
 */
internal sealed partial class ClusterRouter
{
    private const int MaxForwards = 3;

    private readonly GrainCatalog _catalog;
    private readonly MessageCenter _messages;
    private readonly DistributedGrainDirectory _directory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _cache = new();
    private readonly Dictionary<GrainId, Queue<GrainRequest>> _resolving = []; // calls waiting behind a resolution in flight; its own lock
    private readonly string _role;
    private readonly ConcurrentDictionary<SiloAddress, long> _reportedLoads = new();
    private volatile MembershipEntry[] _activeSilos = [];

    public ClusterRouter(GrainCatalog catalog, MessageCenter messages, DistributedGrainDirectory directory, string role, ILogger logger)
    {
        _catalog = catalog;
        _messages = messages;
        _directory = directory;
        _role = role;
        _logger = logger;
        messages.RouteIncoming = DeliverIncoming;
    }

    public SiloAddress Self => _messages.Self;

    public DistributedGrainDirectory Directory => _directory;

    public MessageCenter Messages => _messages;

    /// <summary>Routes a call made in this silo (or through its gateway). Never throws: failures complete the caller.</summary>
    public void Route(GrainRequest request)
    {
        var grain = request.TargetId;
        if (request.TargetReference?.CachedTarget is ActivationData)
        {
            _catalog.Deliver(request);
            return;
        }

        if (_catalog.TryGetTarget(grain, out var local))
        {
            // Live here (an activation or a stateless worker pool): the lookup that found it also
            // serves the delivery, instead of the catalog looking it up again (every call from a
            // client comes this way).
            _catalog.Deliver(request, local);
            return;
        }

        if (!_catalog.Registry.TryGetClass(grain.Type, out var grainClass) || grainClass.IsStatelessWorker)
        {
            // An unknown type (the catalog explains that to the caller), or a worker pool to start here.
            _catalog.Deliver(request);
            return;
        }

        if (_cache.TryGetValue(grain, out var cached) && _directory.IsLive(cached.Silo))
        {
            SendTo(cached.Silo, request);
            return;
        }

        SiloAddress? target;
        lock (_resolving)
        {
            if (_resolving.TryGetValue(grain, out var waiting))
            {
                waiting.Enqueue(request);
                return;
            }

            // Cached since we looked, by a resolution that has just finished: nothing waits any more
            // (sent below, outside the lock; the next call of this sender comes after this one returns).
            target = _cache.TryGetValue(grain, out cached) && _directory.IsLive(cached.Silo) ? cached.Silo : null;
            if (target is null)
            {
                _resolving.Add(grain, new Queue<GrainRequest>());
            }
        }

        if (target is { } silo)
        {
            SendTo(silo, request);
            return;
        }

        _ = ResolveAndSendAsync(request, grainClass);
    }

    /// <summary>Finds where <paramref name="request"/>'s grain is (or places it), sends it there, then the calls that queued behind it.</summary>
    private async Task ResolveAndSendAsync(GrainRequest request, GrainClassInfo grainClass)
    {
        var grain = request.TargetId;
        SiloAddress? target = null;
        GrainAddress? found = null;
        Exception? failure = null;
        try
        {
            found = await _directory.LookupAsync(grain).ConfigureAwait(false);
            target = found?.Silo ?? grainClass.Placement.PickSilo(new PlacementContext(grain, Self, Candidates()));
        }
        catch (Exception error)
        {
            failure = error is AgentsException ? error : new SiloUnavailableException($"{request} could not be routed: {error.Message}", error);
        }

        var next = request;
        while (next is not null)
        {
            if (target is { } silo)
            {
                SendTo(silo, next);
            }
            else
            {
                _catalog.FailUndelivered(next, failure!);
            }

            lock (_resolving)
            {
                if (!_resolving[grain].TryDequeue(out next))
                {
                    // The last queued call is out: from now on calls find the cache (or resolve afresh).
                    _resolving.Remove(grain);
                    if (found is { } address)
                    {
                        _cache[grain] = address;
                    }
                }
            }
        }
    }

    /// <summary>A peer's activation count, as its answer to a probe reported it.</summary>
    public void OnLoadReported(SiloAddress silo, long activations) => _reportedLoads[silo] = activations;

    /// <summary>
    /// The Active silos with their activation counts: this silo's own count now, peers' as their last
    /// probe answer said (a silo not probed yet counts as loaded as this one, so it is neither favoured nor avoided).
    /// </summary>
    private PlacementCandidate[] Candidates()
    {
        var local = _catalog.ActivationCount;
        var silos = _activeSilos;
        var candidates = new PlacementCandidate[silos.Length];
        for (var i = 0; i < silos.Length; i++)
        {
            var silo = silos[i].Silo;
            var count = silo == Self ? local : _reportedLoads.TryGetValue(silo, out var reported) ? (int)Math.Min(reported, int.MaxValue) : local;
            candidates[i] = new PlacementCandidate(silo, silos[i].Role, count);
        }

        return candidates;
    }

    /// <summary>Sends a call to the activation on <paramref name="silo"/> (this silo's catalog when it is this one).</summary>
    public void SendTo(SiloAddress silo, GrainRequest request)
    {
        if (silo == Self)
        {
            _catalog.Deliver(request);
        }
        else
        {
            _messages.SendRequest(silo, request);
        }
    }

    private void DeliverIncoming(GrainRequest request, bool fromClient)
    {
        if (fromClient)
        {
            Route(request);
        }
        else
        {
            _catalog.Deliver(request);
        }
    }

    /// <summary>
    /// Registers a new activation in the directory before it runs. Returns normally when it is the
    /// grain's activation; throws <see cref="DuplicateActivationException"/> naming the winner otherwise.
    /// </summary>
    public async Task RegisterAsync(ActivationData activation)
    {
        var address = new GrainAddress(activation.GrainId, Self, Guid.NewGuid());
        var winner = await _directory.RegisterAsync(address).ConfigureAwait(false);
        if (winner != address)
        {
            _cache[activation.GrainId] = winner;
            throw new DuplicateActivationException(winner);
        }

        activation.RegisteredAddress = address;
        _cache.TryRemove(activation.GrainId, out _);
    }

    /// <summary>Hands a call that reached a losing activation to the grain's registered one.</summary>
    public void Forward(GrainRequest request, GrainAddress winner)
    {
        if (++request.ForwardCount > MaxForwards)
        {
            _catalog.FailUndelivered(request, new AgentsException(
                $"{request} was forwarded {MaxForwards} times between activations of {request.TargetId} without reaching one; the cluster's view is changing, try again."));
            return;
        }

        if (request.TargetReference is { } reference)
        {
            reference.CachedTarget = null;
        }

        SendTo(winner.Silo, request);
    }

    /// <summary>An activation left: its directory entry goes (best effort).</summary>
    public void OnActivationRemoved(ActivationData activation)
    {
        if (activation.RegisteredAddress is { } address)
        {
            _ = _directory.UnregisterAsync(address);
        }
    }

    /// <summary>
    /// Takes a new membership view: the ring and placement candidates change, cache entries naming
    /// departed silos go, and local activations whose directory owner changed register again.
    /// </summary>
    public void OnViewChanged(MembershipView view)
    {
        var previousRing = _directory.ApplyView(view);
        _activeSilos = [.. view.Entries.Where(e => e.Status == SiloStatus.Active).OrderBy(e => e.Silo.ToString(), StringComparer.Ordinal)];
        foreach (var silo in _reportedLoads.Keys)
        {
            if (!_directory.IsLive(silo))
            {
                _reportedLoads.TryRemove(silo, out _);
            }
        }
        foreach (var (grain, address) in _cache)
        {
            if (!_directory.IsLive(address.Silo))
            {
                _cache.TryRemove(grain, out _);
            }
        }

        var ring = _directory.Ring;
        if (ring.IsEmpty)
        {
            return;
        }

        foreach (var activation in _catalog.Activations)
        {
            if (activation.RegisteredAddress is { } address
                && (previousRing.IsEmpty || previousRing.OwnerOf(address.GrainId) != ring.OwnerOf(address.GrainId)))
            {
                _ = ReregisterAsync(activation, address);
            }
        }

        // Calls in flight to silos that left fail now rather than at their timeout.
        foreach (var silo in previousRing.Silos)
        {
            if (!_directory.IsLive(silo))
            {
                _ = _messages.ForgetSiloAsync(silo);
            }
        }
    }

    private async Task ReregisterAsync(ActivationData activation, GrainAddress address)
    {
        try
        {
            var winner = await _directory.RegisterAsync(address).ConfigureAwait(false);
            if (winner != address)
            {
                LogDuplicate(_logger, activation.GrainId, address.Silo, winner);
                activation.RegisteredAddress = null;
                activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.DuplicateActivation,
                    $"Another activation of the grain registered first ({winner})."));
            }
        }
        catch (Exception error)
        {
            LogReregisterFailed(_logger, activation.GrainId, error.Message);
        }
    }

    [LoggerMessage(3300, LogLevel.Information, "Duplicate activation of {Grain} on {Silo} resolved: {Winner} won; this one deactivates")]
    private static partial void LogDuplicate(ILogger logger, GrainId grain, SiloAddress silo, GrainAddress winner);

    [LoggerMessage(3301, LogLevel.Warning, "Could not register the activation of {Grain} with its new directory owner ({Reason}); it will be registered again on the next view change")]
    private static partial void LogReregisterFailed(ILogger logger, GrainId grain, string reason);
}

/// <summary>A new activation lost the directory registration to <see cref="Winner"/>; its calls go there.</summary>
internal sealed class DuplicateActivationException(GrainAddress winner)
    : AgentsException($"Grain {winner.GrainId} already has an activation: {winner}.")
{
    public GrainAddress Winner { get; } = winner;
}
