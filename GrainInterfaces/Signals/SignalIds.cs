using System.Security.Cryptography;

namespace Agents.Signals;

/*
 * Fresh signal ids, cheap enough to make one per signal at millions per second.
 *
 * An id is 32 lowercase hex digits, the shape of a GUID in "N" format: a 64-bit prefix drawn once
 * per process from the cryptographic random source, then a 64-bit counter that starts at a random
 * value and is incremented atomically for every id.
 *
 * Invariants
 *  - Unique within a process: the counter does not repeat before 2^64 ids.
 *  - Unique across processes with the probability of two random 64-bit prefixes differing (a
 *    collision needs billions of processes); restarting a process draws a new prefix.
 *  - No system call per id (Guid.NewGuid reads the kernel's random source each time, which costs
 *    more than the rest of publishing a signal). Ids are unique, not secret: nothing may treat
 *    one as unguessable.
 */

/// <summary>Makes fresh signal ids; see the invariants at the top of this file.</summary>
public static class SignalIds
{
    private static readonly ulong Prefix = RandomPrefix();
    private static long _counter = (long)RandomPrefix();

    /// <summary>A new id: 32 lowercase hex digits, unique for this process and, with overwhelming probability, across processes.</summary>
    public static string Next()
    {
        var sequence = (ulong)Interlocked.Increment(ref _counter);
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], sequence);
        return Convert.ToHexStringLower(bytes);
    }

    private static ulong RandomPrefix()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
