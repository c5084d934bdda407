using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Agents.Serialization;

/*
 * Reads the format WireWriter writes (its design note lists the invariants). The reader treats
 * input as hostile:
 *  - Every read is bounds-checked; running off the end is a SerializationException, never an
 *    IndexOutOfRangeException.
 *  - A declared length is compared with the bytes that remain and with SerializerOptions.MaxLength
 *    before anything is allocated, so ten bytes claiming a 2 GB string cost nothing. A collection's
 *    declared count is compared with MaxCollectionCount and with the remaining bytes (every element
 *    takes at least one byte), so no collection is ever pre-sized beyond what the input can fill.
 *  - Nesting (objects, type references, skipped fields) is bounded by MaxDepth, so hostile input
 *    cannot overflow the stack.
 *  - Typed reads check the wire type first: a field written as a string is never read as an int.
 *    Integer reads accept any VarInt and check the range, so widening a field (int to long) is a
 *    compatible change.
 * Strings and byte arrays are copied out; ReadBytes returns a view of the input for callers that
 * consume the bytes before the input buffer is released.
 */

/// <summary>Reads the Agents wire format from a span of bytes.</summary>
public ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _input;
    private readonly SerializerOptions _options;
    private int _position;
    private int _depth;

    public WireReader(ReadOnlySpan<byte> input, SerializerOptions? options = null)
    {
        _input = input;
        _options = options ?? SerializerOptions.Default;
    }

    public readonly SerializerOptions Options => _options;

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _input.Length - _position;

    public readonly bool IsAtEnd => _position >= _input.Length;

    /// <summary>Reads the next field header; false when it is the <see cref="WireType.EndObject"/> that closes the current object.</summary>
    public bool ReadFieldHeader(out WireField field)
    {
        uint header;
        if (_position < _input.Length && _input[_position] < 0x80)
        {
            header = _input[_position++];
        }
        else
        {
            header = ReadVarUInt32();
        }

        var wireType = (WireType)(header & 7);
        if (wireType == WireType.EndObject)
        {
            if (_depth > 0)
            {
                _depth--;
            }

            field = default;
            return false;
        }

        field = new WireField(header >> 3, wireType);
        return true;
    }

    /// <summary>Reads a field header where a value must follow (not an end of object).</summary>
    public WireField ReadField()
    {
        if (!ReadFieldHeader(out var field))
        {
            SerializationErrors.Malformed("a field was expected, but the object ended");
        }

        return field;
    }

    public uint ReadVarUInt32()
    {
        var value = ReadVarUInt64();
        if (value > uint.MaxValue)
        {
            SerializationErrors.Malformed("a 32-bit varint is out of range");
        }

        return (uint)value;
    }

    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _input.Length)
            {
                SerializationErrors.EndOfInput();
            }

            var b = _input[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        SerializationErrors.Malformed("a varint is longer than 10 bytes");
        return 0;
    }

    /// <summary>A view of the next <paramref name="count"/> bytes of the input, bounds-checked.</summary>
    public ReadOnlySpan<byte> ReadRawBytes(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            SerializationErrors.EndOfInput();
        }

        var span = _input.Slice(_position, count);
        _position += count;
        return span;
    }

    public bool ReadBoolean(WireField field) => ReadUnsigned(field, 1, "Boolean") != 0;

    public byte ReadByte(WireField field) => (byte)ReadUnsigned(field, byte.MaxValue, "Byte");

    public ushort ReadUInt16(WireField field) => (ushort)ReadUnsigned(field, ushort.MaxValue, "UInt16");

    public char ReadChar(WireField field) => (char)ReadUnsigned(field, char.MaxValue, "Char");

    public uint ReadUInt32(WireField field) => (uint)ReadUnsigned(field, uint.MaxValue, "UInt32");

    public ulong ReadUInt64(WireField field) => ReadUnsigned(field, ulong.MaxValue, "UInt64");

    public sbyte ReadSByte(WireField field) => (sbyte)ReadSigned(field, sbyte.MinValue, sbyte.MaxValue, "SByte");

    public short ReadInt16(WireField field) => (short)ReadSigned(field, short.MinValue, short.MaxValue, "Int16");

    public int ReadInt32(WireField field) => (int)ReadSigned(field, int.MinValue, int.MaxValue, "Int32");

    public long ReadInt64(WireField field) => ReadSigned(field, long.MinValue, long.MaxValue, "Int64");

    public float ReadSingle(WireField field)
    {
        Expect(field, WireType.Fixed32);
        return BinaryPrimitives.ReadSingleLittleEndian(ReadRawBytes(4));
    }

    /// <summary>Reads a double; a field written as a float is widened.</summary>
    public double ReadDouble(WireField field)
    {
        if (field.WireType == WireType.Fixed32)
        {
            return ReadSingle(field);
        }

        Expect(field, WireType.Fixed64);
        return BinaryPrimitives.ReadDoubleLittleEndian(ReadRawBytes(8));
    }

    public decimal ReadDecimal(WireField field)
    {
        var bytes = ReadFixedLength(field, 16, "Decimal");
        Span<int> bits = stackalloc int[4];
        for (var i = 0; i < 4; i++)
        {
            bits[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
        }

        try
        {
            return new decimal(bits);
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"Field {field.Id} does not hold a valid decimal.", e);
        }
    }

    /// <summary>A string, or null when the field is <see cref="WireType.Null"/>.</summary>
    public string? ReadString(WireField field)
    {
        if (field.IsNull)
        {
            return null;
        }

        return Encoding.UTF8.GetString(ReadBytes(field));
    }

    /// <summary>A view of a length-prefixed payload, valid as long as the input is.</summary>
    public ReadOnlySpan<byte> ReadBytes(WireField field)
    {
        Expect(field, WireType.LengthPrefixed);
        return ReadRawBytes(ReadLength());
    }

    /// <summary>A copy of a length-prefixed payload, or null when the field is <see cref="WireType.Null"/>.</summary>
    public byte[]? ReadByteArray(WireField field) => field.IsNull ? null : ReadBytes(field).ToArray();

    public Guid ReadGuid(WireField field) => new(ReadFixedLength(field, 16, "Guid"));

    public DateTime ReadDateTime(WireField field)
    {
        Expect(field, WireType.Fixed64);
        var binary = BinaryPrimitives.ReadInt64LittleEndian(ReadRawBytes(8));
        try
        {
            return DateTime.FromBinary(binary);
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"Field {field.Id} does not hold a valid DateTime.", e);
        }
    }

    public DateTimeOffset ReadDateTimeOffset(WireField field)
    {
        var bytes = ReadFixedLength(field, 10, "DateTimeOffset");
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var offset = BinaryPrimitives.ReadInt16LittleEndian(bytes[8..]);
        try
        {
            return new DateTimeOffset(ticks, TimeSpan.FromMinutes(offset));
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"Field {field.Id} does not hold a valid DateTimeOffset.", e);
        }
    }

    public TimeSpan ReadTimeSpan(WireField field) => new(ReadInt64(field));

    /// <summary>Enters the nested object a <see cref="WireType.StartObject"/> field opens; read its fields until <see cref="ReadFieldHeader"/> returns false.</summary>
    public void EnterObject(WireField field)
    {
        Expect(field, WireType.StartObject);
        EnterNesting();
    }

    /// <summary>Reads a collection's declared element count, checked against the limits and the remaining input.</summary>
    public int ReadCollectionCount(WireField field)
    {
        var count = ReadUnsigned(field, ulong.MaxValue, "count");
        if (count > (ulong)_options.MaxCollectionCount)
        {
            SerializationErrors.CountOverLimit(count, _options.MaxCollectionCount);
        }

        if (count > (ulong)Remaining)
        {
            SerializationErrors.CountOverInput(count, Remaining);
        }

        return (int)count;
    }

    /// <summary>Skips a field's payload, whatever its type: how readers ignore fields they do not know.</summary>
    public void SkipField(WireField field)
    {
        switch (field.WireType)
        {
            case WireType.VarInt:
                ReadVarUInt64();
                break;
            case WireType.Fixed32:
                ReadRawBytes(4);
                break;
            case WireType.Fixed64:
                ReadRawBytes(8);
                break;
            case WireType.LengthPrefixed:
                ReadRawBytes(ReadLength());
                break;
            case WireType.StartObject:
                EnterNesting();
                SkipToEndObject();
                break;
            case WireType.Typed:
                EnterNesting();
                TypeReferences.Skip(ref this);
                SkipField(ReadField());
                ExitNesting();
                break;
            case WireType.Null:
                break;
            default:
                SerializationErrors.Malformed($"unexpected {field}");
                break;
        }
    }

    /// <summary>Skips the remaining fields of the current object and its end marker.</summary>
    public void SkipToEndObject()
    {
        while (ReadFieldHeader(out var field))
        {
            SkipField(field);
        }
    }

    /// <summary>Throws unless <paramref name="field"/> has the wire type a codec expects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Expect(WireField field, WireType expected)
    {
        if (field.WireType != expected)
        {
            SerializationErrors.WrongWireType(field, expected);
        }
    }

    /// <summary>Counts one level of nesting that does not end with an EndObject (type references).</summary>
    internal void EnterNesting()
    {
        if (++_depth > _options.MaxDepth)
        {
            SerializationErrors.ReadTooDeep(_options.MaxDepth);
        }
    }

    internal void ExitNesting()
    {
        if (_depth > 0)
        {
            _depth--;
        }
    }

    private int ReadLength()
    {
        var length = ReadVarUInt64();
        if (length > (ulong)Remaining)
        {
            SerializationErrors.LengthOverInput(length, Remaining);
        }

        if (length > (ulong)_options.MaxLength)
        {
            SerializationErrors.LengthOverLimit(length, _options.MaxLength);
        }

        return (int)length;
    }

    private ReadOnlySpan<byte> ReadFixedLength(WireField field, int length, string type)
    {
        Expect(field, WireType.LengthPrefixed);
        if (ReadLength() != length)
        {
            SerializationErrors.Malformed($"field {field.Id} should hold the {length} bytes of a {type}");
        }

        return ReadRawBytes(length);
    }

    private ulong ReadUnsigned(WireField field, ulong max, string type)
    {
        Expect(field, WireType.VarInt);
        var value = ReadVarUInt64();
        if (value > max)
        {
            SerializationErrors.OutOfRange(field, type);
        }

        return value;
    }

    private long ReadSigned(WireField field, long min, long max, string type)
    {
        Expect(field, WireType.VarInt);
        var raw = ReadVarUInt64();
        var value = (long)(raw >> 1) ^ -(long)(raw & 1);
        if (value < min || value > max)
        {
            SerializationErrors.OutOfRange(field, type);
        }

        return value;
    }
}
