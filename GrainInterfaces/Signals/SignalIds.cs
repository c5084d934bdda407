using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Agents.Signals;

/*
 * Fresh signal ids, cheap enough to make one per signal at millions per second.
 *
 * An id is 32 lowercase hex digits, the shape of a GUID in "N" format: a 64-bit prefix drawn once
 * per process from the cryptographic random source, then a 64-bit counter that starts at a random
 * value. Each thread takes the counter's values a block of BlockSize at a time (one atomic add per
 * block, not per id: threads making ids at once would otherwise contend for one cache line).
 *
 * Invariants
 *  - Unique within a process: blocks never overlap (each is the range an atomic add moved past),
 *    and the counter does not repeat before 2^64 ids.
 *  - Unique across processes with the probability of two random 64-bit prefixes differing (a
 *    collision needs billions of processes); restarting a process draws a new prefix.
 *  - No system call per id (Guid.NewGuid reads the kernel's random source each time, which costs
 *    more than the rest of publishing a signal). Ids are unique, not secret: nothing may treat
 *    one as unguessable.
 */

/// <summary>Makes fresh signal ids; see the invariants at the top of this file.</summary>
public static class SignalIds
{
    private const int BlockSize = 1024;
    private static readonly ulong Prefix = RandomPrefix();
    private static long _counter = (long)RandomPrefix();

    [ThreadStatic]
    private static ulong _next; // this thread's next value

    [ThreadStatic]
    private static int _leftInBlock; // values of this thread's block not taken yet

    /// <summary>A new id: 32 lowercase hex digits, unique for this process and, with overwhelming probability, across processes.</summary>
    public static string Next()
    {
        if (_leftInBlock == 0)
        {
            _next = (ulong)Interlocked.Add(ref _counter, BlockSize) - BlockSize;
            _leftInBlock = BlockSize;
        }

        var sequence = _next++;
        _leftInBlock--;
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], sequence);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// The 128-bit fingerprint of a signal id: XxHash128 (seed 0) of its UTF-16 code units, the same in every process and
    /// version, so agents store it with their state to skip redeliveries.
    /// </summary>
    public static UInt128 Fingerprint(string id) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(id.AsSpan()));

    private static ulong RandomPrefix()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
