using Agents.Invocation;

namespace Agents.Serialization;

// The codecs of primitive and framework value types. Each forwards to the WireWriter/WireReader
// method of the same name, so a member of one of these types costs a direct, inlinable call when
// generated code holds the sealed codec type.

/// <summary>Codec of <see cref="bool"/>.</summary>
public sealed class BooleanCodec : IFieldCodec<bool>
{
    public static BooleanCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, bool value) => writer.WriteBoolean(fieldId, value);

    public bool ReadValue(ref WireReader reader, WireField field) => reader.ReadBoolean(field);
}

/// <summary>Codec of <see cref="byte"/>.</summary>
public sealed class ByteCodec : IFieldCodec<byte>
{
    public static ByteCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, byte value) => writer.WriteByte(fieldId, value);

    public byte ReadValue(ref WireReader reader, WireField field) => reader.ReadByte(field);
}

/// <summary>Codec of <see cref="sbyte"/>.</summary>
public sealed class SByteCodec : IFieldCodec<sbyte>
{
    public static SByteCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, sbyte value) => writer.WriteSByte(fieldId, value);

    public sbyte ReadValue(ref WireReader reader, WireField field) => reader.ReadSByte(field);
}

/// <summary>Codec of <see cref="short"/>.</summary>
public sealed class Int16Codec : IFieldCodec<short>
{
    public static Int16Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, short value) => writer.WriteInt16(fieldId, value);

    public short ReadValue(ref WireReader reader, WireField field) => reader.ReadInt16(field);
}

/// <summary>Codec of <see cref="ushort"/>.</summary>
public sealed class UInt16Codec : IFieldCodec<ushort>
{
    public static UInt16Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, ushort value) => writer.WriteUInt16(fieldId, value);

    public ushort ReadValue(ref WireReader reader, WireField field) => reader.ReadUInt16(field);
}

/// <summary>Codec of <see cref="int"/>.</summary>
public sealed class Int32Codec : IFieldCodec<int>
{
    public static Int32Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, int value) => writer.WriteInt32(fieldId, value);

    public int ReadValue(ref WireReader reader, WireField field) => reader.ReadInt32(field);
}

/// <summary>Codec of <see cref="uint"/>.</summary>
public sealed class UInt32Codec : IFieldCodec<uint>
{
    public static UInt32Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, uint value) => writer.WriteUInt32(fieldId, value);

    public uint ReadValue(ref WireReader reader, WireField field) => reader.ReadUInt32(field);
}

/// <summary>Codec of <see cref="long"/>.</summary>
public sealed class Int64Codec : IFieldCodec<long>
{
    public static Int64Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, long value) => writer.WriteInt64(fieldId, value);

    public long ReadValue(ref WireReader reader, WireField field) => reader.ReadInt64(field);
}

/// <summary>Codec of <see cref="ulong"/>.</summary>
public sealed class UInt64Codec : IFieldCodec<ulong>
{
    public static UInt64Codec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, ulong value) => writer.WriteUInt64(fieldId, value);

    public ulong ReadValue(ref WireReader reader, WireField field) => reader.ReadUInt64(field);
}

/// <summary>Codec of <see cref="char"/>.</summary>
public sealed class CharCodec : IFieldCodec<char>
{
    public static CharCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, char value) => writer.WriteChar(fieldId, value);

    public char ReadValue(ref WireReader reader, WireField field) => reader.ReadChar(field);
}

/// <summary>Codec of <see cref="float"/>.</summary>
public sealed class SingleCodec : IFieldCodec<float>
{
    public static SingleCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, float value) => writer.WriteSingle(fieldId, value);

    public float ReadValue(ref WireReader reader, WireField field) => reader.ReadSingle(field);
}

/// <summary>Codec of <see cref="double"/>.</summary>
public sealed class DoubleCodec : IFieldCodec<double>
{
    public static DoubleCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, double value) => writer.WriteDouble(fieldId, value);

    public double ReadValue(ref WireReader reader, WireField field) => reader.ReadDouble(field);
}

/// <summary>Codec of <see cref="decimal"/>.</summary>
public sealed class DecimalCodec : IFieldCodec<decimal>
{
    public static DecimalCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, decimal value) => writer.WriteDecimal(fieldId, value);

    public decimal ReadValue(ref WireReader reader, WireField field) => reader.ReadDecimal(field);
}

/// <summary>Codec of <see cref="Guid"/>.</summary>
public sealed class GuidCodec : IFieldCodec<Guid>
{
    public static GuidCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, Guid value) => writer.WriteGuid(fieldId, value);

    public Guid ReadValue(ref WireReader reader, WireField field) => reader.ReadGuid(field);
}

/// <summary>Codec of <see cref="DateTime"/>.</summary>
public sealed class DateTimeCodec : IFieldCodec<DateTime>
{
    public static DateTimeCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, DateTime value) => writer.WriteDateTime(fieldId, value);

    public DateTime ReadValue(ref WireReader reader, WireField field) => reader.ReadDateTime(field);
}

/// <summary>Codec of <see cref="DateTimeOffset"/>.</summary>
public sealed class DateTimeOffsetCodec : IFieldCodec<DateTimeOffset>
{
    public static DateTimeOffsetCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, DateTimeOffset value) => writer.WriteDateTimeOffset(fieldId, value);

    public DateTimeOffset ReadValue(ref WireReader reader, WireField field) => reader.ReadDateTimeOffset(field);
}

/// <summary>Codec of <see cref="TimeSpan"/>.</summary>
public sealed class TimeSpanCodec : IFieldCodec<TimeSpan>
{
    public static TimeSpanCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, TimeSpan value) => writer.WriteTimeSpan(fieldId, value);

    public TimeSpan ReadValue(ref WireReader reader, WireField field) => reader.ReadTimeSpan(field);
}

/// <summary>Codec of <see cref="string"/>: UTF-8, length-prefixed; null as <see cref="WireType.Null"/>.</summary>
public sealed class StringCodec : IFieldCodec<string>
{
    public static StringCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, string value) => writer.WriteString(fieldId, value);

    public string ReadValue(ref WireReader reader, WireField field) => reader.ReadString(field)!;
}

/// <summary>Codec of <see cref="T:byte[]"/>: the bytes, length-prefixed; null as <see cref="WireType.Null"/>.</summary>
public sealed class ByteArrayCodec : IFieldCodec<byte[]>
{
    public static ByteArrayCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, byte[] value) => writer.WriteByteArray(fieldId, value);

    public byte[] ReadValue(ref WireReader reader, WireField field) => reader.ReadByteArray(field)!;
}

/// <summary>Codec of <see cref="ReadOnlyMemory{T}"/> of bytes. Reading copies, so the value outlives the input buffer.</summary>
public sealed class ReadOnlyMemoryCodec : IFieldCodec<ReadOnlyMemory<byte>>
{
    public static ReadOnlyMemoryCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, ReadOnlyMemory<byte> value) => writer.WriteBytes(fieldId, value.Span);

    public ReadOnlyMemory<byte> ReadValue(ref WireReader reader, WireField field) => field.IsNull ? default : reader.ReadBytes(field).ToArray();
}

/// <summary>Codec of <see cref="DateOnly"/>: its day number.</summary>
public sealed class DateOnlyCodec : IFieldCodec<DateOnly>
{
    public static DateOnlyCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, DateOnly value) => writer.WriteInt32(fieldId, value.DayNumber);

    public DateOnly ReadValue(ref WireReader reader, WireField field)
    {
        var day = reader.ReadInt32(field);
        return day >= DateOnly.MinValue.DayNumber && day <= DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber(day)
            : throw new SerializationException($"Field {field.Id} does not hold a valid DateOnly.");
    }
}

/// <summary>Codec of <see cref="TimeOnly"/>: its ticks.</summary>
public sealed class TimeOnlyCodec : IFieldCodec<TimeOnly>
{
    public static TimeOnlyCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, TimeOnly value) => writer.WriteInt64(fieldId, value.Ticks);

    public TimeOnly ReadValue(ref WireReader reader, WireField field)
    {
        var ticks = reader.ReadInt64(field);
        return ticks >= 0 && ticks <= TimeOnly.MaxValue.Ticks
            ? new TimeOnly(ticks)
            : throw new SerializationException($"Field {field.Id} does not hold a valid TimeOnly.");
    }
}

/// <summary>Codec of <see cref="GrainId"/>: an object of its type (field 0) and key (field 1); the default id as null.</summary>
public sealed class GrainIdCodec : IFieldCodec<GrainId>
{
    public static GrainIdCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, GrainId value)
    {
        if (value.IsDefault)
        {
            writer.WriteNull(fieldId);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteString(0, value.Type.Value);
        writer.WriteString(1, value.Key);
        writer.WriteEndObject();
    }

    public GrainId ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return default;
        }

        reader.EnterObject(field);
        ReadOnlySpan<byte> type = default;
        ReadOnlySpan<byte> key = default;
        var hasType = false;
        while (reader.ReadFieldHeader(out var member))
        {
            switch (member.Id)
            {
                case 0 when !member.IsNull:
                    type = reader.ReadBytes(member);
                    hasType = true;
                    break;
                case 1 when !member.IsNull:
                    key = reader.ReadBytes(member);
                    break;
                default:
                    reader.SkipField(member);
                    break;
            }
        }

        try
        {
            if (!hasType)
            {
                throw new ArgumentException("A grain id needs a grain type.");
            }

            // The spans point into the input, which outlives this call.
            return GrainIdDecodeCache.Get(type, key);
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"Field {field.Id} does not hold a valid grain id.", e);
        }
    }
}

/// <summary>Codec of <see cref="NoResult"/>, the result of methods returning Task or ValueTask: nothing to carry.</summary>
public sealed class NoResultCodec : IFieldCodec<NoResult>
{
    public static NoResultCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, NoResult value) => writer.WriteNull(fieldId);

    public NoResult ReadValue(ref WireReader reader, WireField field)
    {
        reader.SkipField(field);
        return default;
    }
}
