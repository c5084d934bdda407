using System.Text;

namespace Agents.Runtime.GrainDirectory;

/// <summary>
/// A hash that is the same in every process and on every machine, for placing things across silos
/// (<see cref="string.GetHashCode()"/> is randomized per process, so it cannot be used for that).
/// 64-bit FNV-1a over the UTF-8 bytes, finished with a 64-bit avalanche mix so that nearby inputs
/// spread over the whole range.
/// </summary>
public static class StableHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> buffer = value.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        var length = Encoding.UTF8.GetBytes(value, buffer);
        return Of(buffer[..length]);
    }

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var hash = Offset;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }

        return Mix(hash);
    }

    /// <summary>The hash of a grain id: of its <c>type/key</c> form.</summary>
    public static ulong Of(GrainId grainId) => Of(grainId.ToString());

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }
}
