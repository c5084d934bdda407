namespace Agents.Agents;

/*
 * The ids of the last Capacity signals an agent handled, to skip redeliveries: asked once per
 * delivered signal, so it must be cheap on memory that is cold (an agent among thousands).
 *
 * Layout: a ring of the ids in handling order (oldest at _head) with each id's hash beside it, and
 * an open-addressing table (linear probing, twice the ring's size). A slot packs, in 32 bits, the
 * ring position + 1 (bits 0-8; 0 = empty), the entry's home slot (bits 9-17) and 14 more bits of
 * its hash (bits 18-31), so probing and deleting read the table alone: the ring is touched only
 * where the packed bits already match.
 *
 * Invariants
 *  - Exact: a hash match is confirmed by comparing the ids themselves, so no signal is ever taken
 *    for a duplicate because two ids hash alike.
 *  - The table holds exactly the ring's occupied positions; each is found by probing from its
 *    hash's home slot without crossing an empty slot (deletion shifts later entries back, so no
 *    tombstones accumulate).
 *  - Forgetting the oldest reads only its stored hash, never the old id string.
 *  - Cheap on cold memory: a lookup reads one or two adjacent table lines, and the ring only on a
 *    packed-bits match; an agent among thousands costs few cache misses per signal.
 */

/// <summary>The last <see cref="Capacity"/> handled signal ids, oldest first; see the invariants at the top of this file.</summary>
internal sealed class RecentSignalIds
{
    public const int Capacity = AgentRecord.RememberedSignals;
    private const int TableSize = Capacity * 2; // a power of two
    private const int Mask = TableSize - 1;

    private readonly string?[] _ids = new string?[Capacity];
    private readonly int[] _hashes = new int[Capacity];
    private const int PositionBits = 9;
    private const uint PositionMask = (1u << PositionBits) - 1;
    private const int HomeShift = PositionBits;
    private const int FingerprintShift = PositionBits * 2;

    private readonly uint[] _slots = new uint[TableSize]; // packed; see the layout at the top of this file
    private int _head; // the oldest id's ring position
    private int _count;

    public int Count => _count;

    public bool Contains(string id) => Find(id, Hash(id)) >= 0;

    /// <summary>Remembers <paramref name="id"/> (forgetting the oldest when full); false when it was remembered already.</summary>
    public bool Add(string id)
    {
        var hash = Hash(id);
        if (Find(id, hash) >= 0)
        {
            return false;
        }

        if (_count == Capacity)
        {
            Forget(_head);
            _head = (_head + 1) % Capacity;
            _count--;
        }

        var position = (_head + _count) % Capacity;
        _ids[position] = id;
        _hashes[position] = hash;
        var home = hash & Mask;
        var slot = home;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & Mask;
        }

        _slots[slot] = Pack(position, hash);
        _count++;
        return true;
    }

    /// <summary>The last <paramref name="max"/> ids at most, oldest first.</summary>
    public List<string> Newest(int max)
    {
        var take = Math.Min(max, _count);
        var list = new List<string>(take + 1);
        for (var i = _count - take; i < _count; i++)
        {
            list.Add(_ids[(_head + i) % Capacity]!);
        }

        return list;
    }

    private static int Hash(string id) => id.GetHashCode(); // ordinal, seeded per process

    /// <summary>Position + 1, home slot and 14 more hash bits in one slot value (never 0).</summary>
    private static uint Pack(int position, int hash) =>
        (uint)(position + 1) | ((uint)(hash & Mask) << HomeShift) | ((uint)hash & ~((1u << FingerprintShift) - 1));

    /// <summary>The slot holding <paramref name="id"/>, or -1.</summary>
    private int Find(string id, int hash)
    {
        var slot = hash & Mask;
        var packedHash = Pack(0, hash) & ~PositionMask; // home and fingerprint, as a slot holds them
        while (_slots[slot] is var entry and not 0)
        {
            if ((entry & ~PositionMask) == packedHash)
            {
                var position = (int)(entry & PositionMask) - 1;
                if (string.Equals(_ids[position], id, StringComparison.Ordinal))
                {
                    return slot;
                }
            }

            slot = (slot + 1) & Mask;
        }

        return -1;
    }

    /// <summary>Removes ring position <paramref name="position"/> from the table, shifting back the entries probed past it.</summary>
    private void Forget(int position)
    {
        var slot = _hashes[position] & Mask;
        while ((_slots[slot] & PositionMask) != (uint)(position + 1))
        {
            slot = (slot + 1) & Mask;
        }

        _ids[position] = null;
        var hole = slot;
        var next = (hole + 1) & Mask;
        while (_slots[next] is var entry and not 0)
        {
            var home = (int)((entry >> HomeShift) & Mask);

            // The entry may move into the hole only if the hole lies on its probe path (from home up to next, cyclically).
            if (((next - home) & Mask) >= ((next - hole) & Mask))
            {
                _slots[hole] = entry;
                hole = next;
            }

            next = (next + 1) & Mask;
        }

        _slots[hole] = 0;
    }
}
