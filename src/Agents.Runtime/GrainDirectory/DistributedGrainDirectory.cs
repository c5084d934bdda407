using Agents.Runtime.Membership;
using Agents.Runtime.Messaging.Remote;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.GrainDirectory;

/*
 * The cluster's grain directory: grain → its one activation's address, partitioned over the Active
 * silos by a consistent-hash ring (ConsistentHashRing), each silo holding its part in a
 * DirectoryPartition (whose invariants apply: first writer wins, entries of dead silos lose).
 *
 * Operations go to the owner of the grain's point on the ring: this silo's own partition, or the
 * owner's over a system call. A call that fails because the owner is unreachable or the ring moved
 * is retried against the then-current ring, a bounded number of times.
 *
 * Handover on a view change. The ring is rebuilt from the Active silos. A partition drops the
 * entries it no longer owns, and every silo registers its live activations again with their new
 * owners where the owner changed. That one rule covers both a silo that joined (it takes over part
 * of a live silo's range) and a silo that died (its partition is lost; the activations it knew of
 * re-register). While re-registration is in flight a lookup can miss and a second activation start
 * elsewhere; the registration that comes second loses, and the losing activation deactivates and
 * hands its queued calls to the winner (duplicate resolution). Durable state is protected
 * throughout by the storage ETags.
 */

/// <summary>The distributed grain directory, seen from one silo.</summary>
internal sealed partial class DistributedGrainDirectory
{
    private const int MaxAttempts = 5;

    private readonly DirectoryPartition _partition = new();
    private readonly MessageCenter _messages;
    private readonly ILogger _logger;
    private readonly TimeSpan _callTimeout;
    private readonly Func<SiloAddress, bool> _isLive;
    private volatile Snapshot _snapshot;

    public DistributedGrainDirectory(MessageCenter messages, TimeSpan callTimeout, ILogger logger)
    {
        _messages = messages;
        _callTimeout = callTimeout;
        _logger = logger;
        _snapshot = new Snapshot(new ConsistentHashRing([]), MembershipView.Empty);
        _isLive = silo => _snapshot.IsLive(silo);
        messages.AddSystemHandler(HandleAsync, SystemOperation.DirectoryRegister, SystemOperation.DirectoryLookup, SystemOperation.DirectoryUnregister);
    }

    public SiloAddress Self => _messages.Self;

    /// <summary>Entries this silo's partition holds (diagnostics).</summary>
    public int PartitionCount => _partition.Count;

    /// <summary>The current ring (Active silos).</summary>
    public ConsistentHashRing Ring => _snapshot.Ring;

    /// <summary>Whether the view has <paramref name="silo"/> as a member that may host grains.</summary>
    public bool IsLive(SiloAddress silo) => _snapshot.IsLive(silo);

    /// <summary>
    /// Makes <paramref name="address"/> the grain's activation unless another live one is registered;
    /// returns the address that holds the entry afterwards.
    /// </summary>
    public Task<GrainAddress> RegisterAsync(GrainAddress address) =>
        OnOwnerAsync(address.GrainId, SystemOperation.DirectoryRegister, new SystemPayload(Address: address),
            () => _partition.TryRegister(address, _isLive),
            reply => reply.Address ?? throw new AgentsException($"The directory owner of {address.GrainId} answered a registration without an address."));

    /// <summary>The grain's registered activation on a live silo, or null.</summary>
    public Task<GrainAddress?> LookupAsync(GrainId grain) =>
        OnOwnerAsync(grain, SystemOperation.DirectoryLookup, new SystemPayload(Grain: grain),
            () => _partition.Lookup(grain) is { } found && _isLive(found.Silo) ? found : (GrainAddress?)null,
            reply => reply.Address is { } found && _isLive(found.Silo) ? found : null);

    /// <summary>Removes the activation's entry (only if it still names that activation). Best effort.</summary>
    public async Task UnregisterAsync(GrainAddress address)
    {
        try
        {
            await OnOwnerAsync(address.GrainId, SystemOperation.DirectoryUnregister, new SystemPayload(Address: address),
                () => _partition.Unregister(address), _ => true).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            // A stale entry is harmless: its silo answers calls by activating again, and an entry of a
            // dead silo loses to any registration.
            LogUnregisterFailed(_logger, address, error.Message);
        }
    }

    private async Task<T> OnOwnerAsync<T>(GrainId grain, SystemOperation operation, SystemPayload payload, Func<T> local, Func<SystemPayload, T> remote)
    {
        for (var attempt = 1; ; attempt++)
        {
            var ring = _snapshot.Ring;
            if (ring.IsEmpty)
            {
                throw new SiloUnavailableException($"The grain directory has no Active silo to ask about {grain}: the cluster has not formed (or this silo left it).");
            }

            var owner = ring.OwnerOf(grain);
            if (owner == Self)
            {
                return local();
            }

            try
            {
                var reply = await _messages.CallSystemAsync(owner, operation, payload, _callTimeout).ConfigureAwait(false);
                return remote(reply);
            }
            catch (Exception error) when (error is AgentsException or TimeoutException && attempt < MaxAttempts)
            {
                // The owner is gone or moved: wait for the view to catch up, then ask the new owner.
                LogOwnerRetry(_logger, operation, grain, owner, error.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Answers another silo's directory call against this silo's partition.</summary>
    private ValueTask<SystemPayload> HandleAsync(SystemOperation operation, SystemPayload payload)
    {
        var grain = payload.Address?.GrainId ?? payload.Grain;
        var owner = _snapshot.Ring.IsEmpty ? default : _snapshot.Ring.OwnerOf(grain);
        if (owner != Self)
        {
            // The caller's ring differs from ours; it retries once its view catches up.
            throw new AgentsException($"silo {Self} does not own the directory entry of {grain} in its view (owner: {owner}).");
        }

        return operation switch
        {
            SystemOperation.DirectoryRegister => new(new SystemPayload(Address: _partition.TryRegister(payload.Address!.Value, _isLive))),
            SystemOperation.DirectoryLookup => new(new SystemPayload(Address: _partition.Lookup(grain))),
            SystemOperation.DirectoryUnregister => new(Unregister(payload.Address!.Value)),
            _ => throw new Networking.ProtocolException($"system operation {operation} is not a directory operation"),
        };
    }

    private SystemPayload Unregister(GrainAddress address)
    {
        _partition.Unregister(address);
        return SystemPayload.None;
    }

    /// <summary>
    /// Takes a new membership view: rebuilds the ring, drops entries this silo no longer owns and
    /// those of silos that left, and returns the previous ring, so the caller can re-register its
    /// activations whose owner changed.
    /// </summary>
    public ConsistentHashRing ApplyView(MembershipView view)
    {
        var previous = _snapshot;
        var ring = new ConsistentHashRing(view.ActiveSilos);
        _snapshot = new Snapshot(ring, view);
        foreach (var silo in previous.Ring.Silos)
        {
            if (!_snapshot.IsLive(silo))
            {
                _partition.RemoveSilo(silo);
            }
        }

        if (!ring.IsEmpty)
        {
            _partition.TakeNotOwned(ring, Self);
        }

        return previous.Ring;
    }

    private sealed class Snapshot(ConsistentHashRing ring, MembershipView view)
    {
        private readonly HashSet<SiloAddress> _live = view.Entries
            .Where(e => e.Status is SiloStatus.Active or SiloStatus.Joining or SiloStatus.ShuttingDown)
            .Select(e => e.Silo)
            .ToHashSet();

        public ConsistentHashRing Ring { get; } = ring;

        public bool IsLive(SiloAddress silo) => _live.Contains(silo);
    }

    [LoggerMessage(3200, LogLevel.Debug, "Directory {Operation} of {Grain} at {Owner} failed ({Reason}); retrying against the current ring")]
    private static partial void LogOwnerRetry(ILogger logger, SystemOperation operation, GrainId grain, SiloAddress owner, string reason);

    [LoggerMessage(3201, LogLevel.Debug, "Could not unregister {Address} ({Reason}); the stale entry is harmless")]
    private static partial void LogUnregisterFailed(ILogger logger, GrainAddress address, string reason);
}
