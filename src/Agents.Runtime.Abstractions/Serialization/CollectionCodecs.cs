using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Agents.Serialization;

/*
 * Sequences (arrays, List<T>, HashSet<T>, ImmutableArray<T>) share one layout:
 *
 *   StartObject, field 0 = element count (VarInt), field 1 per element (in order), EndObject
 *
 * Elements are ordinary fields, so a null element is a Null field and an element of a derived
 * type is a Typed field. The count only sizes the collection, and ReadCollectionCount has already
 * checked it against the limits and the remaining input, so a hostile count cannot make a reader
 * allocate more than the input could fill. Comparers (of sets and dictionaries) do not travel:
 * the reader uses the default comparer.
 */

/// <summary>Codec of single-dimensional arrays.</summary>
public sealed class ArrayCodec<T> : IFieldCodec<T[]>
{
    private readonly IFieldCodec<T> _element;

    public ArrayCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public ArrayCodec(IFieldCodec<T> element) => _element = element ?? throw new ArgumentNullException(nameof(element));

    public void WriteField(ref WireWriter writer, uint fieldId, T[] value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Length);
        foreach (var item in value)
        {
            _element.WriteField(ref writer, 1, item);
        }

        writer.WriteEndObject();
    }

    public T[] ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        if (field.WireType == WireType.Typed)
        {
            return PolymorphicCodec.ReadTyped<T[]>(ref reader, field);
        }

        return SequenceReader.ReadArray(ref reader, field, _element);
    }
}

/// <summary>Codec of <see cref="List{T}"/>.</summary>
public sealed class ListCodec<T> : IFieldCodec<List<T>>
{
    private readonly IFieldCodec<T> _element;

    public ListCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public ListCodec(IFieldCodec<T> element) => _element = element ?? throw new ArgumentNullException(nameof(element));

    public void WriteField(ref WireWriter writer, uint fieldId, List<T> value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        if (value.GetType() != typeof(List<T>))
        {
            PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Count);
        foreach (var item in CollectionsMarshal.AsSpan(value))
        {
            _element.WriteField(ref writer, 1, item);
        }

        writer.WriteEndObject();
    }

    public List<T> ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        if (field.WireType == WireType.Typed)
        {
            return PolymorphicCodec.ReadTyped<List<T>>(ref reader, field);
        }

        reader.EnterObject(field);
        List<T>? list = null;
        while (reader.ReadFieldHeader(out var item))
        {
            if (item.Id == 1)
            {
                (list ??= []).Add(_element.ReadValue(ref reader, item));
            }
            else if (item.Id == 0 && list is null)
            {
                list = new List<T>(reader.ReadCollectionCount(item));
            }
            else
            {
                reader.SkipField(item);
            }
        }

        return list ?? [];
    }
}

/// <summary>Codec of <see cref="HashSet{T}"/> (read with the default comparer).</summary>
public sealed class HashSetCodec<T> : IFieldCodec<HashSet<T>>
{
    private readonly IFieldCodec<T> _element;

    public HashSetCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public HashSetCodec(IFieldCodec<T> element) => _element = element ?? throw new ArgumentNullException(nameof(element));

    public void WriteField(ref WireWriter writer, uint fieldId, HashSet<T> value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        if (value.GetType() != typeof(HashSet<T>))
        {
            PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Count);
        foreach (var item in value)
        {
            _element.WriteField(ref writer, 1, item);
        }

        writer.WriteEndObject();
    }

    public HashSet<T> ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        if (field.WireType == WireType.Typed)
        {
            return PolymorphicCodec.ReadTyped<HashSet<T>>(ref reader, field);
        }

        reader.EnterObject(field);
        HashSet<T>? set = null;
        while (reader.ReadFieldHeader(out var item))
        {
            if (item.Id == 1)
            {
                (set ??= []).Add(_element.ReadValue(ref reader, item));
            }
            else if (item.Id == 0 && set is null)
            {
                set = new HashSet<T>(reader.ReadCollectionCount(item));
            }
            else
            {
                reader.SkipField(item);
            }
        }

        return set ?? [];
    }
}

/// <summary>Codec of <see cref="ImmutableArray{T}"/>; the default (uninitialized) array travels as null.</summary>
public sealed class ImmutableArrayCodec<T> : IFieldCodec<ImmutableArray<T>>
{
    private readonly IFieldCodec<T> _element;

    public ImmutableArrayCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public ImmutableArrayCodec(IFieldCodec<T> element) => _element = element ?? throw new ArgumentNullException(nameof(element));

    public void WriteField(ref WireWriter writer, uint fieldId, ImmutableArray<T> value)
    {
        if (value.IsDefault)
        {
            writer.WriteNull(fieldId);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Length);
        foreach (var item in value)
        {
            _element.WriteField(ref writer, 1, item);
        }

        writer.WriteEndObject();
    }

    public ImmutableArray<T> ReadValue(ref WireReader reader, WireField field) =>
        field.IsNull ? default : ImmutableCollectionsMarshal.AsImmutableArray(SequenceReader.ReadArray(ref reader, field, _element));
}

/// <summary>Reads the sequence layout into an exactly sized array.</summary>
internal static class SequenceReader
{
    public static T[] ReadArray<T>(ref WireReader reader, WireField field, IFieldCodec<T> element)
    {
        reader.EnterObject(field);
        T[]? array = null;
        List<T>? undeclared = null;
        var count = 0;
        while (reader.ReadFieldHeader(out var item))
        {
            if (item.Id == 1)
            {
                var value = element.ReadValue(ref reader, item);
                if (array is null)
                {
                    // No count came first (not what our writer does): collect, then copy.
                    (undeclared ??= []).Add(value);
                }
                else if (count < array.Length)
                {
                    array[count++] = value;
                }
                else
                {
                    SerializationErrors.Malformed($"an array holds more elements than the {array.Length} it declared");
                }
            }
            else if (item.Id == 0 && array is null && undeclared is null)
            {
                var declared = reader.ReadCollectionCount(item);
                array = declared == 0 ? [] : new T[declared];
            }
            else
            {
                reader.SkipField(item);
            }
        }

        if (array is null)
        {
            return undeclared?.ToArray() ?? [];
        }

        if (count != array.Length)
        {
            SerializationErrors.Malformed($"an array declared {array.Length} elements but holds {count}");
        }

        return array;
    }
}
