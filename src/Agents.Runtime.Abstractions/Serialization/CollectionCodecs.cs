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

/// <summary>
/// The shared codec of growable collections of exactly <typeparamref name="TCollection"/> (a derived
/// collection type travels as a typed field): the sequence layout above, read by adding elements
/// to a collection sized from the count.
/// </summary>
public abstract class GrowableCollectionCodec<TCollection, T> : IFieldCodec<TCollection>
    where TCollection : class, ICollection<T>
{
    protected GrowableCollectionCodec(IFieldCodec<T> element) => Element = element ?? throw new ArgumentNullException(nameof(element));

    /// <summary>The codec of the elements.</summary>
    protected IFieldCodec<T> Element { get; }

    /// <summary>An empty collection with room for <paramref name="capacity"/> elements.</summary>
    protected abstract TCollection Create(int capacity);

    /// <summary>Writes every element as field 1, in order.</summary>
    protected virtual void WriteElements(ref WireWriter writer, TCollection value)
    {
        foreach (var item in value)
        {
            Element.WriteField(ref writer, 1, item);
        }
    }

    public void WriteField(ref WireWriter writer, uint fieldId, TCollection value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        if (value.GetType() != typeof(TCollection))
        {
            PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Count);
        WriteElements(ref writer, value);
        writer.WriteEndObject();
    }

    public TCollection ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        if (field.WireType == WireType.Typed)
        {
            return PolymorphicCodec.ReadTyped<TCollection>(ref reader, field);
        }

        reader.EnterObject(field);
        TCollection? collection = null;
        while (reader.ReadFieldHeader(out var item))
        {
            if (item.Id == 1)
            {
                (collection ??= Create(0)).Add(Element.ReadValue(ref reader, item));
            }
            else if (item.Id == 0 && collection is null)
            {
                collection = Create(reader.ReadCollectionCount(item));
            }
            else
            {
                reader.SkipField(item);
            }
        }

        return collection ?? Create(0);
    }
}

/// <summary>Codec of <see cref="List{T}"/>.</summary>
public sealed class ListCodec<T> : GrowableCollectionCodec<List<T>, T>
{
    public ListCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public ListCodec(IFieldCodec<T> element)
        : base(element)
    {
    }

    protected override List<T> Create(int capacity) => new(capacity);

    protected override void WriteElements(ref WireWriter writer, List<T> value)
    {
        // A span over the list's storage: no enumerator, no version checks.
        foreach (var item in CollectionsMarshal.AsSpan(value))
        {
            Element.WriteField(ref writer, 1, item);
        }
    }
}

/// <summary>Codec of <see cref="HashSet{T}"/> (read with the default comparer).</summary>
public sealed class HashSetCodec<T> : GrowableCollectionCodec<HashSet<T>, T>
{
    public HashSetCodec()
        : this(TypeManifest.GetCodec<T>())
    {
    }

    public HashSetCodec(IFieldCodec<T> element)
        : base(element)
    {
    }

    protected override HashSet<T> Create(int capacity) => new(capacity);
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
