using System.Runtime.CompilerServices;
using Agents.Invocation;

namespace Agents.Serialization;

/// <summary>Codec of an enum: its numeric value as a signed VarInt, so widening the underlying type is compatible.</summary>
public sealed class EnumCodec<T> : IFieldCodec<T>
    where T : struct, Enum
{
    private static readonly bool Signed = Type.GetTypeCode(Enum.GetUnderlyingType(typeof(T))) is TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64;

    public static EnumCodec<T> Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, T value)
    {
        long number = Unsafe.SizeOf<T>() switch
        {
            1 => Signed ? Unsafe.As<T, sbyte>(ref value) : Unsafe.As<T, byte>(ref value),
            2 => Signed ? Unsafe.As<T, short>(ref value) : Unsafe.As<T, ushort>(ref value),
            4 => Signed ? Unsafe.As<T, int>(ref value) : Unsafe.As<T, uint>(ref value),
            _ => Unsafe.As<T, long>(ref value),
        };
        writer.WriteInt64(fieldId, number);
    }

    public T ReadValue(ref WireReader reader, WireField field)
    {
        var number = reader.ReadInt64(field);
        var size = Unsafe.SizeOf<T>();
        if (size < 8)
        {
            var bits = size * 8;
            var (min, max) = Signed ? (-(1L << (bits - 1)), (1L << (bits - 1)) - 1) : (0L, (1L << bits) - 1);
            if (number < min || number > max)
            {
                SerializationErrors.OutOfRange(field, typeof(T).Name);
            }
        }

        switch (size)
        {
            case 1:
                var b = (byte)number;
                return Unsafe.As<byte, T>(ref b);
            case 2:
                var s = (ushort)number;
                return Unsafe.As<ushort, T>(ref s);
            case 4:
                var i = (uint)number;
                return Unsafe.As<uint, T>(ref i);
            default:
                return Unsafe.As<long, T>(ref number);
        }
    }
}

/// <summary>Codec of <see cref="Nullable{T}"/>: the value's encoding, or <see cref="WireType.Null"/>.</summary>
public sealed class NullableCodec<T> : IFieldCodec<T?>
    where T : struct
{
    private readonly IFieldCodec<T> _value;

    public NullableCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public NullableCodec(IFieldCodec<T> value) => _value = value ?? throw new ArgumentNullException(nameof(value));

    public void WriteField(ref WireWriter writer, uint fieldId, T? value)
    {
        if (value is { } present)
        {
            _value.WriteField(ref writer, fieldId, present);
        }
        else
        {
            writer.WriteNull(fieldId);
        }
    }

    public T? ReadValue(ref WireReader reader, WireField field) => field.IsNull ? null : _value.ReadValue(ref reader, field);
}

/// <summary>
/// Codec of a static type that does not pin the runtime type (<c>object</c>, interfaces, abstract
/// and unsealed classes without a codec of their own): every value is written Typed, by its
/// runtime type, which must be on the allow-list.
/// </summary>
public sealed class PolymorphicCodec<T> : IFieldCodec<T>
{
    public static PolymorphicCodec<T> Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, T value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
    }

    public T ReadValue(ref WireReader reader, WireField field) =>
        field.IsNull ? default! : PolymorphicCodec.ReadTyped<T>(ref reader, field);
}

/// <summary>
/// Codec of <see cref="object"/>: a value of a derived type is written Typed; a plain <c>new object()</c>
/// is an empty object. It also lets <c>object</c> appear as a type argument (<c>List&lt;object&gt;</c>).
/// </summary>
public sealed class ObjectCodec : IFieldCodec<object>
{
    public static ObjectCodec Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, object value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
        }
        else if (value.GetType() == typeof(object))
        {
            writer.WriteStartObject(fieldId);
            writer.WriteEndObject();
        }
        else
        {
            PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
        }
    }

    public object ReadValue(ref WireReader reader, WireField field)
    {
        switch (field.WireType)
        {
            case WireType.Null:
                return null!;
            case WireType.Typed:
                return PolymorphicCodec.ReadTyped<object>(ref reader, field);
            default:
                reader.EnterObject(field);
                reader.SkipToEndObject();
                return new object();
        }
    }
}

/// <summary>Writes and reads Typed fields: a type reference, then the value as field 0.</summary>
public static class PolymorphicCodec
{
    /// <summary>Writes <paramref name="value"/> as a Typed field, by its runtime type.</summary>
    /// <exception cref="SerializationException">The runtime type is not on the allow-list.</exception>
    public static void WriteTyped(ref WireWriter writer, uint fieldId, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var entry = TypeManifest.GetEntry(value.GetType());
        writer.WriteFieldHeader(fieldId, WireType.Typed);
        writer.WriteRaw(entry.Reference);
        entry.Codec!.WriteField(ref writer, 0, value);
    }

    /// <summary>Reads a Typed field; the type must be on the allow-list and assignable to <typeparamref name="T"/>.</summary>
    public static T ReadTyped<T>(ref WireReader reader, WireField field)
    {
        reader.Expect(field, WireType.Typed);
        reader.EnterNesting();
        var entry = TypeReferences.Read(ref reader);
        var inner = reader.ReadField();
        if (inner.Id != 0)
        {
            SerializationErrors.Malformed($"a typed value holds {inner} instead of field 0");
        }

        var value = entry.Codec!.ReadValue(ref reader, inner);
        reader.ExitNesting();
        if (value is T typed)
        {
            return typed;
        }

        if (value is null)
        {
            return default!;
        }

        SerializationErrors.NotAssignable(value.GetType(), typeof(T));
        return default!;
    }
}

/// <summary>
/// Forwards to the codec <see cref="TypeManifest"/> holds for <typeparamref name="T"/> at the time of
/// each call. Generated code uses it for types whose codec another assembly's manifest registers.
/// </summary>
public sealed class ProvidedCodec<T> : IFieldCodec<T>
{
    public static ProvidedCodec<T> Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, T value) => TypeManifest.GetCodec<T>().WriteField(ref writer, fieldId, value);

    public T ReadValue(ref WireReader reader, WireField field) => TypeManifest.GetCodec<T>().ReadValue(ref reader, field);
}

/// <summary>
/// Codec of a grain interface type: the reference's <see cref="GrainId"/> (object field 0). Reading
/// creates the reference through <see cref="SerializerOptions.GrainFactory"/>.
/// </summary>
public sealed class GrainReferenceCodec<T> : IFieldCodec<T>
    where T : class, IAddressable
{
    public static GrainReferenceCodec<T> Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, T value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        if (value is not GrainReference reference)
        {
            throw new SerializationException(
                $"A '{value.GetType()}' was passed where a grain reference of type '{typeof(T)}' is sent: a grain object cannot travel, pass a reference obtained from IGrainFactory.GetGrain instead.");
        }

        writer.WriteStartObject(fieldId);
        GrainIdCodec.Instance.WriteField(ref writer, 0, reference.GrainId);
        writer.WriteEndObject();
    }

    public T ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        reader.EnterObject(field);
        GrainId id = default;
        while (reader.ReadFieldHeader(out var item))
        {
            if (item.Id == 0)
            {
                id = GrainIdCodec.Instance.ReadValue(ref reader, item);
            }
            else
            {
                reader.SkipField(item);
            }
        }

        if (id.IsDefault)
        {
            SerializationErrors.Malformed($"the grain reference in field {field.Id} has no grain id");
        }

        var factory = reader.Options.GrainFactory
            ?? throw new SerializationException($"Cannot read a grain reference of type '{typeof(T)}': the reader has no grain factory (SerializerOptions.GrainFactory).");
        return factory.GetGrain<T>(id);
    }
}

/// <summary>Codec of exceptions of static type <typeparamref name="T"/>; see <see cref="ExceptionCodec"/>.</summary>
public sealed class ExceptionFieldCodec<T> : IFieldCodec<T>
    where T : Exception
{
    public static ExceptionFieldCodec<T> Instance { get; } = new();

    public void WriteField(ref WireWriter writer, uint fieldId, T value) => ExceptionCodec.WriteField(ref writer, fieldId, value);

    public T ReadValue(ref WireReader reader, WireField field)
    {
        var exception = ExceptionCodec.ReadValue(ref reader, field);
        if (exception is null or T)
        {
            return (T)exception!;
        }

        // The remote type is not allowed here, so it arrived as a RemoteException the static type cannot hold.
        SerializationErrors.NotAssignable(exception.GetType(), typeof(T));
        return null!;
    }
}
