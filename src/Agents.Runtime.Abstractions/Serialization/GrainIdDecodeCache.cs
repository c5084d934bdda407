using System.Text;

namespace Agents.Serialization;

/*
 * Decoded grain ids, by their encoded bytes: the hot grains of a connection arrive again and again,
 * and decoding one costs two strings (type and key) plus interning the type. A hit costs a hash of
 * the bytes and one comparison, and allocates nothing.
 *
 * Invariants
 *  - Bounded: a fixed array of slots, direct-mapped by hash; a miss overwrites its slot. Hostile
 *    input can only evict entries, never grow memory.
 *  - A hit is exact: the slot keeps the type's and key's bytes and both are compared, so a hash
 *    collision is a miss, never a wrong id.
 *  - Thread-safe without locks: a slot holds one immutable entry, replaced by a single reference
 *    write; a reader sees the old entry or the new one, both consistent.
 */

/// <summary>A small, bounded, lock-free cache from a grain id's encoded type and key to the decoded id.</summary>
internal static class GrainIdDecodeCache
{
    private const int SlotCount = 4096;
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
        ref var slot = ref Slots[hash & (SlotCount - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && entry.Type.AsSpan().SequenceEqual(type) && entry.Key.AsSpan().SequenceEqual(key))
        {
            return entry.Id;
        }

        var id = Decode(type, key);
        Volatile.Write(ref slot, new Entry(type.ToArray(), key.ToArray(), id));
        return id;
    }

    private static GrainId Decode(ReadOnlySpan<byte> type, ReadOnlySpan<byte> key) =>
        new(new GrainType(Encoding.UTF8.GetString(type)), Encoding.UTF8.GetString(key));

    private sealed record Entry(byte[] Type, byte[] Key, GrainId Id);
}
