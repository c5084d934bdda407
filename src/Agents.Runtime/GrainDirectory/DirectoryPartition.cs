namespace Agents.Runtime.GrainDirectory;

/*
 * The directory entries one silo owns: grain → the address of its single activation.
 *
 * Invariants
 *  - First writer wins: TryRegister never replaces a live entry; the loser gets the winner's
 *    address back and must forward its work there and deactivate.
 *  - An entry whose silo is no longer in the cluster (not Active/Joining/ShuttingDown in the view)
 *    is dead weight: registering over it succeeds, so a grain of a dead silo reactivates elsewhere.
 *  - Only the activation an entry names can remove it (Unregister matches the activation id), so a
 *    late unregister of an old activation never removes its successor.
 *  - Handover: on a view change, entries this silo no longer owns are taken out (TakeNotOwned) and
 *    sent to their new owners, which Merge them: an incoming entry for a grain that already has a
 *    live entry is a duplicate activation; the existing entry wins and the incoming one is returned
 *    so its activation can hand its queued work over and deactivate.
 */

/// <summary>The part of the distributed grain directory owned by one silo.</summary>
public sealed class DirectoryPartition
{
    private readonly Dictionary<GrainId, GrainAddress> _entries = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Registers <paramref name="address"/> unless a live entry exists; returns the address that
    /// holds the entry afterwards (the argument if it won).
    /// </summary>
    /// <param name="address">The activation asking to be the grain's one activation.</param>
    /// <param name="isLive">Whether a silo is still in the cluster.</param>
    public GrainAddress TryRegister(GrainAddress address, Func<SiloAddress, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(isLive);
        lock (_lock)
        {
            if (_entries.TryGetValue(address.GrainId, out var existing) && isLive(existing.Silo))
            {
                return existing;
            }

            _entries[address.GrainId] = address;
            return address;
        }
    }

    public GrainAddress? Lookup(GrainId grainId)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(grainId, out var address) ? address : null;
        }
    }

    /// <summary>Removes the entry only if it still names <paramref name="address"/>'s activation.</summary>
    public bool Unregister(GrainAddress address)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(address.GrainId, out var existing) && existing.ActivationId == address.ActivationId)
            {
                _entries.Remove(address.GrainId);
                return true;
            }

            return false;
        }
    }

    /// <summary>Removes every entry of a silo that left the cluster; returns how many.</summary>
    public int RemoveSilo(SiloAddress silo)
    {
        lock (_lock)
        {
            var gone = _entries.Values.Where(a => a.Silo == silo).Select(a => a.GrainId).ToList();
            foreach (var grain in gone)
            {
                _entries.Remove(grain);
            }

            return gone.Count;
        }
    }

    /// <summary>Takes out the entries <paramref name="self"/> no longer owns on <paramref name="ring"/>, for handover to their owners.</summary>
    public IReadOnlyList<GrainAddress> TakeNotOwned(ConsistentHashRing ring, SiloAddress self)
    {
        ArgumentNullException.ThrowIfNull(ring);
        lock (_lock)
        {
            var moving = _entries.Values.Where(a => ring.OwnerOf(a.GrainId) != self).ToList();
            foreach (var address in moving)
            {
                _entries.Remove(address.GrainId);
            }

            return moving;
        }
    }

    /// <summary>
    /// Accepts handed-over entries. Returns the duplicates: incoming addresses that lost to an
    /// existing live entry, whose activations must deactivate.
    /// </summary>
    public IReadOnlyList<GrainAddress> Merge(IEnumerable<GrainAddress> incoming, Func<SiloAddress, bool> isLive)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var duplicates = new List<GrainAddress>();
        foreach (var address in incoming)
        {
            var winner = TryRegister(address, isLive);
            if (winner.ActivationId != address.ActivationId)
            {
                duplicates.Add(address);
            }
        }

        return duplicates;
    }
}
