using System.Buffers;
using System.Buffers.Binary;

namespace Agents.Runtime.Networking;

/*
 * Wire layout of a frame (all integers little-endian):
 *
 *   offset 0  uint32  length    whole frame in bytes, these 8 header bytes included
 *   offset 4  uint8   kind      FrameKind
 *   offset 5  uint8   flags     FrameFlags: bits of the layer above, carried unchanged
 *   offset 6  uint16  reserved  0; anything else is a malformed header
 *   offset 8  body    length - 8 bytes, opaque to the transport except for Hello and Error
 *
 * The header is validated as a whole before the body is awaited: an unknown kind, non-zero
 * reserved bits, a length below 8 or above the limit end the connection, so a peer can never make
 * us buffer more than the limit, and random bytes (an HTTP request, a port scanner) fail on the
 * kind or reserved bytes rather than being taken for a huge frame.
 */

/// <summary>What a frame carries.</summary>
internal enum FrameKind : byte
{
    /// <summary>The first frame each side sends: a <see cref="HelloMessage"/>.</summary>
    Hello = 1,

    /// <summary>A message of the layer above; the body is opaque to the transport.</summary>
    Message = 2,

    /// <summary>The sender is closing the connection; the body is the reason as UTF-8 text.</summary>
    Error = 3,
}

/// <summary>Bits the layer above defines (request, response, one-way...). The transport carries them unchanged.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,
}

/// <summary>A parsed frame header.</summary>
internal readonly record struct FrameHeader(uint Length, byte RawKind, FrameFlags Flags, ushort Reserved)
{
    /// <summary>Bytes of the fixed header that precedes every body.</summary>
    public const int Size = 8;

    public FrameKind Kind => (FrameKind)RawKind;

    public int BodyLength => (int)Length - Size;

    public static void Write(Span<byte> destination, int length, FrameKind kind, FrameFlags flags)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)length);
        destination[4] = (byte)kind;
        destination[5] = (byte)flags;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
    }

    public static FrameHeader Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(source), source[4], (FrameFlags)source[5], BinaryPrimitives.ReadUInt16LittleEndian(source[6..]));
}

/// <summary>Outcome of looking for one frame at the start of the received bytes.</summary>
internal enum FrameStatus
{
    /// <summary>A whole frame was read.</summary>
    Complete,

    /// <summary>More bytes are needed; nothing was consumed.</summary>
    Incomplete,

    /// <summary>The header announces a frame above the limit.</summary>
    TooLarge,

    /// <summary>The header is not a frame header (unknown kind, reserved bits, length below the header size).</summary>
    Malformed,
}

/// <summary>Finds frames in received bytes without copying them.</summary>
internal static class FrameParser
{
    /// <summary>
    /// Reads the frame at the start of <paramref name="buffer"/>. On <see cref="FrameStatus.Complete"/>,
    /// <paramref name="body"/> is a slice of <paramref name="buffer"/> (no copy) and
    /// <paramref name="buffer"/> is advanced past the frame; otherwise <paramref name="buffer"/> is
    /// unchanged and <paramref name="header"/> holds what was read, for the error message.
    /// </summary>
    public static FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, int limit, out FrameHeader header, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (buffer.Length < FrameHeader.Size)
        {
            header = default;
            return FrameStatus.Incomplete;
        }

        var first = buffer.FirstSpan;
        if (first.Length >= FrameHeader.Size)
        {
            header = FrameHeader.Read(first);
        }
        else
        {
            Span<byte> copy = stackalloc byte[FrameHeader.Size];
            buffer.Slice(0, FrameHeader.Size).CopyTo(copy);
            header = FrameHeader.Read(copy);
        }

        if (!IsWellFormed(header))
        {
            return FrameStatus.Malformed;
        }

        if (header.Length > (uint)limit)
        {
            return FrameStatus.TooLarge;
        }

        if (buffer.Length < header.Length)
        {
            return FrameStatus.Incomplete;
        }

        body = buffer.Slice(FrameHeader.Size, header.BodyLength);
        buffer = buffer.Slice(body.End);
        return FrameStatus.Complete;
    }

    private static bool IsWellFormed(FrameHeader header) =>
        (uint)(header.RawKind - (byte)FrameKind.Hello) <= (byte)FrameKind.Error - (byte)FrameKind.Hello
        && header.Reserved == 0
        && header.Length >= FrameHeader.Size;

    /// <summary>What is wrong with a header, or null when it is well formed (its length is not checked against a limit here).</summary>
    public static string? Describe(FrameHeader header)
    {
        if (header.RawKind is < (byte)FrameKind.Hello or > (byte)FrameKind.Error)
        {
            return $"unknown frame kind 0x{header.RawKind:X2}";
        }

        if (header.Reserved != 0)
        {
            return $"reserved header bytes are 0x{header.Reserved:X4}, not zero";
        }

        if (header.Length < FrameHeader.Size)
        {
            return $"frame length {header.Length} is shorter than the {FrameHeader.Size}-byte header";
        }

        return null;
    }
}
