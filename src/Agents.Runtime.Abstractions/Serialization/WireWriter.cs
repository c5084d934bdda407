using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Agents.Serialization;

/*
 * The wire format (WireReader reads it; docs/codegen.md, "Codecs", describes it for users).
 *
 * A message is a sequence of fields. Each field is a header followed by a payload:
 *
 *   header  = VarInt(fieldId << 3 | wireType)        one byte while fieldId < 16
 *   payload = VarInt            varint (signed values zig-zag encoded)
 *           | Fixed32/Fixed64   4 / 8 bytes, little-endian
 *           | LengthPrefixed    VarInt(byte count), bytes
 *           | StartObject       fields ..., EndObject (the single byte 0x05)
 *           | Typed             type reference, then exactly one field (id 0) holding the value
 *           | Null              nothing
 *
 * Invariants, and why they hold:
 *  1. Every payload's extent follows from its wire type alone, so a reader skips a field it does not
 *     know without knowing its type. That is the whole of version tolerance: a field added on one
 *     side is skipped by the other, and a field the sender lacks keeps the receiver's default.
 *  2. Field ids identify members ([Id(n)], argument positions), never order or names; codecs write
 *     a value's fields in id order but readers accept any order.
 *  3. Null is explicit (wire type Null). A field that is absent means "the sender did not know
 *     this field", which is different from "the sender sent null".
 *  4. A value whose runtime type differs from its static type is written Typed: its type reference
 *     names it by a well-known id or by its registered alias. Readers resolve references only
 *     through the TypeManifest allow-list, never through Type.GetType.
 *  5. Nothing read is trusted: every declared length and count is checked against the remaining
 *     input and SerializerOptions limits before anything is allocated, and nesting depth is bounded
 *     on both sides (on writing, that turns a cyclic object graph into an exception instead of a
 *     stack overflow).
 *
 * The writer is a ref struct over an IBufferWriter<byte>: it fills the span it was handed and only
 * advances the underlying writer when the span runs out or on Flush, so a field costs a few stores.
 * Call Flush when done; bytes written after the last Flush are not yet visible to the buffer writer.
 */

/// <summary>Writes the Agents wire format to an <see cref="IBufferWriter{T}"/>. Call <see cref="Flush"/> when done.</summary>
public ref struct WireWriter
{
    /// <summary>The largest field id a header can carry (29 bits).</summary>
    public const uint MaxFieldId = (1u << 29) - 1;

    private const int MinimumBufferSize = 256;

    // A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so strings this short take at most 126
    // bytes: their length is a one-byte varint.
    private const int MaxOneByteLengthChars = 42;

    private readonly IBufferWriter<byte> _output;
    private readonly int _maxDepth;
    private Span<byte> _buffer;
    private int _buffered;
    private long _flushed;
    private int _depth;

    public WireWriter(IBufferWriter<byte> output, SerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _maxDepth = (options ?? SerializerOptions.Default).MaxDepth;
    }

    /// <summary>Bytes written so far, flushed or not.</summary>
    public readonly long Length => _flushed + _buffered;

    /// <summary>Advances the buffer writer past everything written. The writer stays usable.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _flushed += _buffered;
            _buffered = 0;
        }

        _buffer = default;
    }

    public void WriteFieldHeader(uint fieldId, WireType wireType)
    {
        if (fieldId < 16 && _buffered < _buffer.Length)
        {
            _buffer[_buffered++] = (byte)((fieldId << 3) | (uint)wireType);
            return;
        }

        if (fieldId > MaxFieldId)
        {
            SerializationErrors.FieldIdTooLarge(fieldId);
        }

        WriteVarUInt32((fieldId << 3) | (uint)wireType);
    }

    public void WriteVarUInt32(uint value)
    {
        Ensure(5);
        var buffer = _buffer;
        var i = _buffered;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[i++] = (byte)value;
        _buffered = i;
    }

    public void WriteVarUInt64(ulong value)
    {
        Ensure(10);
        var buffer = _buffer;
        var i = _buffered;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[i++] = (byte)value;
        _buffered = i;
    }

    /// <summary>Copies bytes as they are (no header, no length); for type references and pre-encoded fragments.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Ensure(1);
            var chunk = Math.Min(bytes.Length, _buffer.Length - _buffered);
            bytes[..chunk].CopyTo(_buffer[_buffered..]);
            _buffered += chunk;
            bytes = bytes[chunk..];
        }
    }

    public void WriteNull(uint fieldId) => WriteFieldHeader(fieldId, WireType.Null);

    /// <summary>Opens a nested object; write its fields, then <see cref="WriteEndObject"/>.</summary>
    public void WriteStartObject(uint fieldId)
    {
        if (++_depth > _maxDepth)
        {
            SerializationErrors.WriteTooDeep(_maxDepth);
        }

        WriteFieldHeader(fieldId, WireType.StartObject);
    }

    /// <summary>Ends the innermost object, or an object body such as a request's arguments.</summary>
    public void WriteEndObject()
    {
        if (_depth > 0)
        {
            _depth--;
        }

        WriteFieldHeader(0, WireType.EndObject);
    }

    public void WriteBoolean(uint fieldId, bool value)
    {
        WriteFieldHeader(fieldId, WireType.VarInt);
        WriteVarUInt32(value ? 1u : 0u);
    }

    public void WriteByte(uint fieldId, byte value) => WriteUInt32(fieldId, value);

    public void WriteSByte(uint fieldId, sbyte value) => WriteInt32(fieldId, value);

    public void WriteInt16(uint fieldId, short value) => WriteInt32(fieldId, value);

    public void WriteUInt16(uint fieldId, ushort value) => WriteUInt32(fieldId, value);

    public void WriteChar(uint fieldId, char value) => WriteUInt32(fieldId, value);

    public void WriteInt32(uint fieldId, int value)
    {
        WriteFieldHeader(fieldId, WireType.VarInt);
        WriteVarUInt32((uint)((value << 1) ^ (value >> 31)));
    }

    public void WriteUInt32(uint fieldId, uint value)
    {
        WriteFieldHeader(fieldId, WireType.VarInt);
        WriteVarUInt32(value);
    }

    public void WriteInt64(uint fieldId, long value)
    {
        WriteFieldHeader(fieldId, WireType.VarInt);
        WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));
    }

    public void WriteUInt64(uint fieldId, ulong value)
    {
        WriteFieldHeader(fieldId, WireType.VarInt);
        WriteVarUInt64(value);
    }

    public void WriteSingle(uint fieldId, float value)
    {
        WriteFieldHeader(fieldId, WireType.Fixed32);
        Ensure(4);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer[_buffered..], value);
        _buffered += 4;
    }

    public void WriteDouble(uint fieldId, double value)
    {
        WriteFieldHeader(fieldId, WireType.Fixed64);
        WriteFixed64(BitConverter.DoubleToInt64Bits(value));
    }

    /// <summary>16 bytes: the four 32-bit words of <see cref="decimal.GetBits(decimal)"/>, little-endian.</summary>
    public void WriteDecimal(uint fieldId, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        WriteFieldHeader(fieldId, WireType.LengthPrefixed);
        Ensure(17);
        var span = _buffer[_buffered..];
        span[0] = 16;
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[(1 + (i * 4))..], bits[i]);
        }

        _buffered += 17;
    }

    /// <summary>UTF-8 bytes, length-prefixed; null is written as <see cref="WireType.Null"/>.</summary>
    public void WriteString(uint fieldId, string? value)
    {
        if (value is null)
        {
            WriteNull(fieldId);
            return;
        }

        WriteFieldHeader(fieldId, WireType.LengthPrefixed);
        if (value.Length <= MaxOneByteLengthChars)
        {
            // Short (grain types and keys, most arguments): its UTF-8 length fits a one-byte varint
            // whatever the characters, so encode once, just after a byte reserved for the length.
            Ensure(1 + (value.Length * 3));
            var written = Encoding.UTF8.GetBytes(value, _buffer[(_buffered + 1)..]);
            _buffer[_buffered] = (byte)written;
            _buffered += 1 + written;
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt32((uint)length);
        Ensure(length);
        _buffered += Encoding.UTF8.GetBytes(value, _buffer[_buffered..]);
    }

    public void WriteBytes(uint fieldId, scoped ReadOnlySpan<byte> value)
    {
        WriteFieldHeader(fieldId, WireType.LengthPrefixed);
        WriteVarUInt32((uint)value.Length);
        WriteRaw(value);
    }

    public void WriteByteArray(uint fieldId, byte[]? value)
    {
        if (value is null)
        {
            WriteNull(fieldId);
            return;
        }

        WriteBytes(fieldId, value);
    }

    public void WriteGuid(uint fieldId, Guid value)
    {
        WriteFieldHeader(fieldId, WireType.LengthPrefixed);
        Ensure(17);
        _buffer[_buffered] = 16;
        value.TryWriteBytes(_buffer.Slice(_buffered + 1, 16));
        _buffered += 17;
    }

    /// <summary><see cref="DateTime.ToBinary"/>: ticks and kind (a local time travels as its instant).</summary>
    public void WriteDateTime(uint fieldId, DateTime value)
    {
        WriteFieldHeader(fieldId, WireType.Fixed64);
        WriteFixed64(value.ToBinary());
    }

    /// <summary>10 bytes: the clock time's ticks (8), then the offset in minutes (2).</summary>
    public void WriteDateTimeOffset(uint fieldId, DateTimeOffset value)
    {
        WriteFieldHeader(fieldId, WireType.LengthPrefixed);
        Ensure(11);
        var span = _buffer[_buffered..];
        span[0] = 10;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], value.Ticks);
        BinaryPrimitives.WriteInt16LittleEndian(span[9..], (short)value.TotalOffsetMinutes);
        _buffered += 11;
    }

    public void WriteTimeSpan(uint fieldId, TimeSpan value) => WriteInt64(fieldId, value.Ticks);

    private void WriteFixed64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer[_buffered..], value);
        _buffered += 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int size)
    {
        if (_buffer.Length - _buffered < size)
        {
            Grow(size);
        }
    }

    private void Grow(int size)
    {
        Flush();
        _buffer = _output.GetSpan(Math.Max(size, MinimumBufferSize));
        if (_buffer.Length < size)
        {
            throw new InvalidOperationException($"The buffer writer returned {_buffer.Length} bytes when asked for at least {size}.");
        }
    }
}
