namespace Agents.Serialization;

/// <summary>
/// Writes and reads values of <typeparamref name="T"/> as fields of the Agents wire format.
/// Generated codecs and the built-in ones implement it; <see cref="TypeManifest.GetCodec{T}"/>
/// finds the codec of a type. Implementations are stateless and thread-safe.
/// </summary>
public interface IFieldCodec<T>
{
    /// <summary>Writes <paramref name="value"/> as field <paramref name="fieldId"/>: its header, then its payload.</summary>
    void WriteField(ref WireWriter writer, uint fieldId, T value);

    /// <summary>Reads the payload of a field whose header <paramref name="field"/> was just read.</summary>
    T ReadValue(ref WireReader reader, WireField field);
}

/// <summary>Writes the [Id] members of an object as fields, without a header or an end marker. Generated.</summary>
public delegate void MemberWriter<in T>(ref WireWriter writer, T value);

/// <summary>Reads fields into the members of an existing object until its object ends. Generated.</summary>
public delegate void MemberReader<in T>(ref WireReader reader, T value);

/// <summary>A codec over boxed values, for values whose type is only known at run time (Typed fields).</summary>
internal interface IBoxedCodec
{
    void WriteField(ref WireWriter writer, uint fieldId, object value);

    object? ReadValue(ref WireReader reader, WireField field);
}

/// <summary>Adapts a typed codec to <see cref="IBoxedCodec"/>.</summary>
internal sealed class BoxedCodec<T>(IFieldCodec<T> codec) : IBoxedCodec
{
    public IFieldCodec<T> Codec { get; } = codec;

    public void WriteField(ref WireWriter writer, uint fieldId, object value) => Codec.WriteField(ref writer, fieldId, (T)value);

    public object? ReadValue(ref WireReader reader, WireField field) => Codec.ReadValue(ref reader, field);
}
