using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Agents.Serialization;

/*
 * Decoded grain ids, by their encoded bytes: the hot grains of a connection arrive again and again,
 * and decoding one costs two strings (type and key) plus interning the type. A hit costs a hash of
 * the bytes and one comparison, and allocates nothing.
 *
 * Invariants
 *  - Bounded: a fixed array of slots in sets of two, chosen by hash (two-way set associative); a
 *    miss fills an empty slot of its set, else overwrites one picked by the hash. Hostile input can
 *    only evict entries, never grow memory. Two ways rather than one: with a direct-mapped table,
 *    two hot grains whose hashes share a slot evict each other on every call (with 256 hot grains
 *    in 4,096 slots that was ~6% of all lookups, each a miss that allocates).
 *  - A hit is exact: the slot keeps the type's and key's bytes and both are compared, so a hash
 *    collision is a miss, never a wrong id.
 *  - Thread-safe without locks: a slot holds one immutable entry, replaced by a single reference
 *    write; a reader sees the old entry or the new one, both consistent.
 */

/// <summary>A small, bounded, lock-free cache from a grain id's encoded type and key to the decoded id.</summary>
internal static class GrainIdDecodeCache
{
    private const int SlotCount = 8192;
    private const int MaxCachedBytes = 256;

    private static readonly Entry?[] Slots = new Entry?[SlotCount];
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    /// <summary>The grain id whose type and key are these UTF-8 bytes; decoded (and cached) on a miss.</summary>
    public static GrainId Get(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key)
    {
        if (type.Length + key.Length > MaxCachedBytes)
        {
            return Decode(type, key);
        }

        var hash = Hash(type, key);
        var set = (int)(hash & (SlotCount - 2));
        var first = Volatile.Read(ref Slots[set]);
        if (Matches(first, type, key))
        {
            return first!.Id;
        }

        var second = Volatile.Read(ref Slots[set + 1]);
        if (Matches(second, type, key))
        {
            return second!.Id;
        }

        var id = Decode(type, key);
        var victim = first is null ? set : second is null ? set + 1 : set + (int)((hash >> 16) & 1);
        Volatile.Write(ref Slots[victim], new Entry(type.ToArray(), key.ToArray(), id));
        return id;
    }

    /// <summary>
    /// A hash of the type and key bytes, eight at a time: a lookup runs on the connection's reader for
    /// every request, and HashCode.AddBytes mixes four bytes per step. Seeded per process, so hostile
    /// input cannot aim at a set without seeing the process's own choices; and a collision costs only
    /// a miss (invariants above).
    /// </summary>
    private static uint Hash(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key)
    {
        var hash = Mix(Seed ^ (ulong)type.Length, type);
        hash = Mix(hash ^ ((ulong)key.Length << 32), key);

        // Final avalanche (MurmurHash3's fmix64), so the low bits that pick the set depend on every byte.
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        return (uint)hash;
    }

    private static ulong Mix(ulong hash, ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15UL;
        while (bytes.Length >= sizeof(ulong))
        {
            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * Multiplier, 31);
            bytes = bytes[sizeof(ulong)..];
        }

        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            tail |= (ulong)bytes[i] << (8 * i);
        }

        return BitOperations.RotateLeft((hash ^ tail) * Multiplier, 31);
    }

    private static bool Matches(Entry? entry, ReadOnlySpan<byte> type, ReadOnlySpan<byte> key) =>
        entry is not null && entry.Type.AsSpan().SequenceEqual(type) && entry.Key.AsSpan().SequenceEqual(key);

    private static GrainId Decode(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key) =>
        new(new GrainType(Encoding.UTF8.GetString(type)), Encoding.UTF8.GetString(key));

    private sealed record Entry(byte[] Type, byte[] Key, GrainId Id);
}
