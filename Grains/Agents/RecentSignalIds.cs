using System.Buffers.Binary;
using System.Diagnostics;
using Agents.Signals;

namespace Agents.Agents;

/*
 * The last Capacity signals an agent handled, to skip redeliveries: asked once per delivered
 * signal, so it must be cheap on memory that is cold (an agent among thousands) and must not keep
 * the garbage collector busy.
 *
 * A signal is remembered by the 128-bit fingerprint of its id (SignalIds.Fingerprint: XxHash128 of
 * the UTF-16 code units, seed 0 — the same in every process and version, so fingerprints are stored
 * with the agent's state; a signal computes it once, where it is published, see SignalDerived.cs).
 * Keeping fingerprints rather than the id strings is what keeps this cheap: a remembered id string
 * would live for the next 255 signals of its agent — long enough to be promoted to the old
 * generation, where thousands of agents' ids would be copied by collections and then freed only by
 * full ones; fingerprints are plain values in one array per agent, which the collector never traces.
 *
 * Layout: a ring of the fingerprints in handling order (oldest at _head), and an open-addressing
 * table (linear probing, twice the ring's size). A slot packs, in 32 bits, the ring position + 1
 * (bits 0-8; 0 = empty), the entry's home slot (bits 9-17) and 14 more bits of its fingerprint
 * (bits 18-31), so probing and deleting read the table alone: the ring is touched only where the
 * packed bits already match.
 *
 * Invariants
 *  - Exact up to the fingerprint: a match compares all 128 bits, so a signal is taken for a
 *    duplicate only if its id's fingerprint equals one of the last 256 — about 2^-120 per signal,
 *    far below the odds that two publishers draw the same random id prefix (see SignalIds).
 *  - The table holds exactly the ring's occupied positions; each is found by probing from its
 *    fingerprint's home slot without crossing an empty slot (deletion shifts later entries back, so
 *    no tombstones accumulate).
 *  - Cheap on cold memory: a lookup reads one or two adjacent table lines, and the ring only on a
 *    packed-bits match; an agent among thousands costs few cache misses per signal.
 */

/// <summary>The fingerprints of the last <see cref="Capacity"/> handled signal ids, oldest first; see the invariants at the top of this file.</summary>
internal sealed class RecentSignalIds
{
    public const int Capacity = AgentRecord.RememberedSignals;
    private const int TableSize = Capacity * 2; // a power of two
    private const int Mask = TableSize - 1;
    private const int PositionBits = 9;
    private const uint PositionMask = (1u << PositionBits) - 1;
    private const int HomeShift = PositionBits;
    private const int FingerprintShift = PositionBits * 2;
    private const int FingerprintBytes = 16;

    private readonly UInt128[] _ring = new UInt128[Capacity];
    private readonly uint[] _slots = new uint[TableSize]; // packed; see the layout at the top of this file
    private int _head; // the oldest fingerprint's ring position
    private int _count;
    private uint _touched; // see Touch

    public int Count => _count;

    public bool Contains(UInt128 fingerprint) => Find(fingerprint) >= 0;

    public bool Contains(string id) => Contains(SignalIds.Fingerprint(id));

    public bool Add(string id) => Add(SignalIds.Fingerprint(id));

    /// <summary>Remembers <paramref name="fingerprint"/> (forgetting the oldest when full); false when it was remembered already.</summary>
    public bool Add(UInt128 fingerprint)
    {
        if (Find(fingerprint) >= 0)
        {
            return false;
        }

        AddNew(fingerprint);
        return true;
    }

    /// <summary>Remembers <paramref name="fingerprint"/>, which the caller knows is not remembered (it asked <see cref="Contains(UInt128)"/> since the last change).</summary>
    public void AddNew(UInt128 fingerprint)
    {
        Debug.Assert(Find(fingerprint) < 0, "AddNew of a remembered fingerprint");
        if (_count == Capacity)
        {
            Forget(_head);
            _head = (_head + 1) % Capacity;
            _count--;
        }

        var position = (_head + _count) % Capacity;
        _ring[position] = fingerprint;
        var slot = (int)fingerprint & Mask;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & Mask;
        }

        _slots[slot] = Pack(position, fingerprint);
        _count++;
    }

    /// <summary>
    /// Reads, all at once, the table slots that handling <paramref name="signals"/> will probe: each one's lookup, and the
    /// forgetting of as many of the oldest. An agent among thousands finds its table out of cache; read together, those
    /// misses overlap in the processor instead of stalling one signal at a time.
    /// </summary>
    public void Touch(Signal[] signals)
    {
        uint read = 0;
        foreach (var signal in signals)
        {
            if (signal is not null)
            {
                read += _slots[(int)signal.IdFingerprint & Mask];
            }
        }

        for (var i = 0; i < _count + signals.Length - Capacity && i < _count; i++)
        {
            read += _slots[(int)_ring[(_head + i) % Capacity] & Mask];
        }

        _touched = read; // kept, so the reads are not optimized away
    }

    /// <summary>
    /// The last <paramref name="max"/> fingerprints at most, oldest first, then <paramref name="also"/> when given:
    /// the stored form (16 bytes each, little-endian), which <see cref="Load"/> reads back.
    /// </summary>
    public byte[] Save(int max, UInt128? also = null)
    {
        var take = Math.Min(max, _count);
        var bytes = new byte[(take + (also is null ? 0 : 1)) * FingerprintBytes];
        for (var i = 0; i < take; i++)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(bytes.AsSpan(i * FingerprintBytes), _ring[(_head + _count - take + i) % Capacity]);
        }

        if (also is { } last)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(bytes.AsSpan(take * FingerprintBytes), last);
        }

        return bytes;
    }

    /// <summary>Remembers, oldest first, the fingerprints <see cref="Save"/> stored; a trailing partial fingerprint is ignored.</summary>
    public void Load(ReadOnlySpan<byte> saved)
    {
        for (var offset = 0; offset + FingerprintBytes <= saved.Length; offset += FingerprintBytes)
        {
            Add(BinaryPrimitives.ReadUInt128LittleEndian(saved[offset..]));
        }
    }

    /// <summary>Position + 1, home slot and 14 more fingerprint bits in one slot value (never 0).</summary>
    private static uint Pack(int position, UInt128 fingerprint)
    {
        var low = (uint)fingerprint;
        return (uint)(position + 1) | ((low & Mask) << HomeShift) | (low & ~((1u << FingerprintShift) - 1));
    }

    /// <summary>The slot holding <paramref name="fingerprint"/>, or -1.</summary>
    private int Find(UInt128 fingerprint)
    {
        var slot = (int)fingerprint & Mask;
        var packed = Pack(0, fingerprint) & ~PositionMask; // home and fingerprint bits, as a slot holds them
        while (_slots[slot] is var entry and not 0)
        {
            if ((entry & ~PositionMask) == packed && _ring[(int)(entry & PositionMask) - 1] == fingerprint)
            {
                return slot;
            }

            slot = (slot + 1) & Mask;
        }

        return -1;
    }

    /// <summary>Removes ring position <paramref name="position"/> from the table, shifting back the entries probed past it.</summary>
    private void Forget(int position)
    {
        var slot = (int)_ring[position] & Mask;
        while ((_slots[slot] & PositionMask) != (uint)(position + 1))
        {
            slot = (slot + 1) & Mask;
        }

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
