using System.Buffers;

namespace Agents.Serialization;

/// <summary>
/// Whole values to and from bytes. A top-level value is written as field 0; reading checks that
/// the input holds exactly one value. To embed values in a message of your own, use
/// <see cref="WireWriter"/>/<see cref="WireReader"/> with <see cref="TypeManifest.GetCodec{T}"/>
/// (or <see cref="WriteField{T}"/>/<see cref="ReadValue{T}"/>) directly.
/// </summary>
public static class Serializer
{
    public static void Serialize<T>(T value, IBufferWriter<byte> output, SerializerOptions? options = null)
    {
        var writer = new WireWriter(output, options);
        TypeManifest.GetCodec<T>().WriteField(ref writer, 0, value);
        writer.Flush();
    }

    public static byte[] SerializeToArray<T>(T value, SerializerOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        Serialize(value, output, options);
        return output.WrittenSpan.ToArray();
    }

    public static T Deserialize<T>(ReadOnlySpan<byte> input, SerializerOptions? options = null)
    {
        var reader = new WireReader(input, options);
        var value = TypeManifest.GetCodec<T>().ReadValue(ref reader, reader.ReadField());
        if (!reader.IsAtEnd)
        {
            throw new SerializationException($"{reader.Remaining} bytes follow the value: the input is corrupt or holds more than one value.");
        }

        return value;
    }

    public static T Deserialize<T>(in ReadOnlySequence<byte> input, SerializerOptions? options = null)
    {
        using var bytes = new ContiguousBytes(input);
        return Deserialize<T>(bytes.Span, options);
    }

    /// <summary>Writes <paramref name="value"/> as field <paramref name="fieldId"/> with the codec of <typeparamref name="T"/>.</summary>
    public static void WriteField<T>(ref WireWriter writer, uint fieldId, T value) => TypeManifest.GetCodec<T>().WriteField(ref writer, fieldId, value);

    /// <summary>Reads the value of a field whose header was just read, with the codec of <typeparamref name="T"/>.</summary>
    public static T ReadValue<T>(ref WireReader reader, WireField field) => TypeManifest.GetCodec<T>().ReadValue(ref reader, field);
}

/// <summary>
/// A contiguous view of a byte sequence for <see cref="WireReader"/>: the sequence's own memory when
/// it is one segment (no copy), else a pooled copy returned on <see cref="Dispose"/>. Values read
/// from it never alias it (strings and arrays are copied out), except <see cref="WireReader.ReadBytes"/>.
/// </summary>
public ref struct ContiguousBytes : IDisposable
{
    private byte[]? _rented;

    public ContiguousBytes(in ReadOnlySequence<byte> sequence)
    {
        if (sequence.IsSingleSegment)
        {
            Span = sequence.FirstSpan;
            return;
        }

        var length = checked((int)sequence.Length);
        _rented = ArrayPool<byte>.Shared.Rent(length);
        sequence.CopyTo(_rented);
        Span = _rented.AsSpan(0, length);
    }

    public ReadOnlySpan<byte> Span { get; private set; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
            Span = default;
        }
    }
}
