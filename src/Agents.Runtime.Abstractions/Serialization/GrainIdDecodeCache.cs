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

    /// <summary>The grain id whose type and key are these UTF-8 bytes; decoded (and cached) on a miss.</summary>
    public static GrainId Get(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key)
    {
        if (type.Length + key.Length > MaxCachedBytes)
        {
            return Decode(type, key);
        }

        var hasher = default(HashCode);
        hasher.AddBytes(type);
        hasher.Add(type.Length);
        hasher.AddBytes(key);
        var hash = (uint)hasher.ToHashCode();
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

    private static bool Matches(Entry? entry, ReadOnlySpan<byte> type, ReadOnlySpan<byte> key) =>
        entry is not null && entry.Type.AsSpan().SequenceEqual(type) && entry.Key.AsSpan().SequenceEqual(key);

    private static GrainId Decode(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key) =>
        new(new GrainType(Encoding.UTF8.GetString(type)), Encoding.UTF8.GetString(key));

    private sealed record Entry(byte[] Type, byte[] Key, GrainId Id);
}
