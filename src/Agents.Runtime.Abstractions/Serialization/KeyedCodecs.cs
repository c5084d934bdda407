namespace Agents.Serialization;

/*
 * Dictionaries: StartObject, field 0 = pair count, then each pair as field 1 (key) immediately
 * followed by field 2 (value), EndObject. Pairs and tuples: StartObject, one field per item
 * numbered from 0, EndObject; a missing item keeps its default.
 */

/// <summary>Codec of <see cref="Dictionary{TKey, TValue}"/> (read with the default comparer).</summary>
public sealed class DictionaryCodec<TKey, TValue> : IFieldCodec<Dictionary<TKey, TValue>>
    where TKey : notnull
{
    private readonly IFieldCodec<TKey> _key;
    private readonly IFieldCodec<TValue> _value;

    public DictionaryCodec()
        : this(TypeManifest.GetCodec<TKey>(), TypeManifest.GetCodec<TValue>())
    {
    }

    public DictionaryCodec(IFieldCodec<TKey> key, IFieldCodec<TValue> value)
    {
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _value = value ?? throw new ArgumentNullException(nameof(value));
    }

    public void WriteField(ref WireWriter writer, uint fieldId, Dictionary<TKey, TValue> value)
    {
        if (value is null)
        {
            writer.WriteNull(fieldId);
            return;
        }

        if (value.GetType() != typeof(Dictionary<TKey, TValue>))
        {
            PolymorphicCodec.WriteTyped(ref writer, fieldId, value);
            return;
        }

        writer.WriteStartObject(fieldId);
        writer.WriteUInt32(0, (uint)value.Count);
        foreach (var (key, item) in value)
        {
            _key.WriteField(ref writer, 1, key);
            _value.WriteField(ref writer, 2, item);
        }

        writer.WriteEndObject();
    }

    public Dictionary<TKey, TValue> ReadValue(ref WireReader reader, WireField field)
    {
        if (field.IsNull)
        {
            return null!;
        }

        if (field.WireType == WireType.Typed)
        {
            return PolymorphicCodec.ReadTyped<Dictionary<TKey, TValue>>(ref reader, field);
        }

        reader.EnterObject(field);
        Dictionary<TKey, TValue>? dictionary = null;
        TKey? key = default;
        var hasKey = false;
        while (reader.ReadFieldHeader(out var item))
        {
            switch (item.Id)
            {
                case 0 when dictionary is null:
                    dictionary = new Dictionary<TKey, TValue>(reader.ReadCollectionCount(item));
                    break;
                case 1 when !hasKey:
                    key = _key.ReadValue(ref reader, item);
                    if (key is null)
                    {
                        SerializationErrors.Malformed("a dictionary key is null");
                    }

                    hasKey = true;
                    break;
                case 2 when hasKey:
                    (dictionary ??= [])[key!] = _value.ReadValue(ref reader, item);
                    hasKey = false;
                    break;
                case 1:
                case 2:
                    SerializationErrors.Malformed("dictionary keys and values do not alternate");
                    break;
                default:
                    reader.SkipField(item);
                    break;
            }
        }

        if (hasKey)
        {
            SerializationErrors.Malformed("a dictionary key has no value");
        }

        return dictionary ?? [];
    }
}

/// <summary>Codec of <see cref="KeyValuePair{TKey, TValue}"/>: on the wire exactly a two-element tuple (key field 0, value field 1).</summary>
public sealed class KeyValuePairCodec<TKey, TValue> : IFieldCodec<KeyValuePair<TKey, TValue>>
{
    private readonly ValueTupleCodec<TKey, TValue> _pair;

    public KeyValuePairCodec()
        : this(TypeManifest.GetCodec<TKey>(), TypeManifest.GetCodec<TValue>())
    {
    }

    public KeyValuePairCodec(IFieldCodec<TKey> key, IFieldCodec<TValue> value) => _pair = new ValueTupleCodec<TKey, TValue>(key, value);

    public void WriteField(ref WireWriter writer, uint fieldId, KeyValuePair<TKey, TValue> value) =>
        _pair.WriteField(ref writer, fieldId, (value.Key, value.Value));

    public KeyValuePair<TKey, TValue> ReadValue(ref WireReader reader, WireField field)
    {
        var (key, value) = _pair.ReadValue(ref reader, field);
        return new KeyValuePair<TKey, TValue>(key, value);
    }
}

/// <summary>Codec of two-element value tuples.</summary>
public sealed class ValueTupleCodec<T1, T2> : IFieldCodec<ValueTuple<T1, T2>>
{
    private readonly IFieldCodec<T1> _item1;
    private readonly IFieldCodec<T2> _item2;

    public ValueTupleCodec()
        : this(TypeManifest.GetCodec<T1>(), TypeManifest.GetCodec<T2>())
    {
    }

    public ValueTupleCodec(IFieldCodec<T1> item1, IFieldCodec<T2> item2)
    {
        _item1 = item1 ?? throw new ArgumentNullException(nameof(item1));
        _item2 = item2 ?? throw new ArgumentNullException(nameof(item2));
    }

    public void WriteField(ref WireWriter writer, uint fieldId, ValueTuple<T1, T2> value)
    {
        writer.WriteStartObject(fieldId);
        _item1.WriteField(ref writer, 0, value.Item1);
        _item2.WriteField(ref writer, 1, value.Item2);
        writer.WriteEndObject();
    }

    public ValueTuple<T1, T2> ReadValue(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        var value = default(ValueTuple<T1, T2>);
        while (reader.ReadFieldHeader(out var item))
        {
            switch (item.Id)
            {
                case 0:
                    value.Item1 = _item1.ReadValue(ref reader, item);
                    break;
                case 1:
                    value.Item2 = _item2.ReadValue(ref reader, item);
                    break;
                default:
                    reader.SkipField(item);
                    break;
            }
        }

        return value;
    }
}

/// <summary>Codec of three-element value tuples.</summary>
public sealed class ValueTupleCodec<T1, T2, T3> : IFieldCodec<ValueTuple<T1, T2, T3>>
{
    private readonly IFieldCodec<T1> _item1;
    private readonly IFieldCodec<T2> _item2;
    private readonly IFieldCodec<T3> _item3;

    public ValueTupleCodec()
        : this(TypeManifest.GetCodec<T1>(), TypeManifest.GetCodec<T2>(), TypeManifest.GetCodec<T3>())
    {
    }

    public ValueTupleCodec(IFieldCodec<T1> item1, IFieldCodec<T2> item2, IFieldCodec<T3> item3)
    {
        _item1 = item1 ?? throw new ArgumentNullException(nameof(item1));
        _item2 = item2 ?? throw new ArgumentNullException(nameof(item2));
        _item3 = item3 ?? throw new ArgumentNullException(nameof(item3));
    }

    public void WriteField(ref WireWriter writer, uint fieldId, ValueTuple<T1, T2, T3> value)
    {
        writer.WriteStartObject(fieldId);
        _item1.WriteField(ref writer, 0, value.Item1);
        _item2.WriteField(ref writer, 1, value.Item2);
        _item3.WriteField(ref writer, 2, value.Item3);
        writer.WriteEndObject();
    }

    public ValueTuple<T1, T2, T3> ReadValue(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        var value = default(ValueTuple<T1, T2, T3>);
        while (reader.ReadFieldHeader(out var item))
        {
            switch (item.Id)
            {
                case 0:
                    value.Item1 = _item1.ReadValue(ref reader, item);
                    break;
                case 1:
                    value.Item2 = _item2.ReadValue(ref reader, item);
                    break;
                case 2:
                    value.Item3 = _item3.ReadValue(ref reader, item);
                    break;
                default:
                    reader.SkipField(item);
                    break;
            }
        }

        return value;
    }
}
