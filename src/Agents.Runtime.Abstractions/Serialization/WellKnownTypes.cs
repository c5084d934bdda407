using System.Collections.Immutable;

namespace Agents.Serialization;

/// <summary>
/// The built-in types a type reference names by number instead of by name. The numbers are part of
/// the wire format: never renumber or reuse one; add new types at the end.
/// </summary>
internal static class WellKnownTypes
{
    /// <summary>Upper bound (exclusive) of well-known ids.</summary>
    public const int Count = 64;

    public static void RegisterAll()
    {
        TypeManifest.RegisterWellKnown(1, BooleanCodec.Instance);
        TypeManifest.RegisterWellKnown(2, ByteCodec.Instance);
        TypeManifest.RegisterWellKnown(3, SByteCodec.Instance);
        TypeManifest.RegisterWellKnown(4, Int16Codec.Instance);
        TypeManifest.RegisterWellKnown(5, UInt16Codec.Instance);
        TypeManifest.RegisterWellKnown(6, Int32Codec.Instance);
        TypeManifest.RegisterWellKnown(7, UInt32Codec.Instance);
        TypeManifest.RegisterWellKnown(8, Int64Codec.Instance);
        TypeManifest.RegisterWellKnown(9, UInt64Codec.Instance);
        TypeManifest.RegisterWellKnown(10, CharCodec.Instance);
        TypeManifest.RegisterWellKnown(11, SingleCodec.Instance);
        TypeManifest.RegisterWellKnown(12, DoubleCodec.Instance);
        TypeManifest.RegisterWellKnown(13, DecimalCodec.Instance);
        TypeManifest.RegisterWellKnown(14, StringCodec.Instance);
        TypeManifest.RegisterWellKnown(15, ByteArrayCodec.Instance);
        TypeManifest.RegisterWellKnown(16, GuidCodec.Instance);
        TypeManifest.RegisterWellKnown(17, DateTimeCodec.Instance);
        TypeManifest.RegisterWellKnown(18, DateTimeOffsetCodec.Instance);
        TypeManifest.RegisterWellKnown(19, TimeSpanCodec.Instance);
        TypeManifest.RegisterWellKnown(20, DateOnlyCodec.Instance);
        TypeManifest.RegisterWellKnown(21, TimeOnlyCodec.Instance);
        TypeManifest.RegisterWellKnown(22, GrainIdCodec.Instance);
        TypeManifest.RegisterWellKnownGeneric(23, typeof(Array), typeof(ArrayCodec<>));
        TypeManifest.RegisterWellKnownGeneric(24, typeof(List<>), typeof(ListCodec<>));
        TypeManifest.RegisterWellKnownGeneric(25, typeof(HashSet<>), typeof(HashSetCodec<>));
        TypeManifest.RegisterWellKnownGeneric(26, typeof(Dictionary<,>), typeof(DictionaryCodec<,>));
        TypeManifest.RegisterWellKnownGeneric(27, typeof(ImmutableArray<>), typeof(ImmutableArrayCodec<>));
        TypeManifest.RegisterWellKnownGeneric(28, typeof(KeyValuePair<,>), typeof(KeyValuePairCodec<,>));
        TypeManifest.RegisterWellKnownGeneric(29, typeof(ValueTuple<,>), typeof(ValueTupleCodec<,>));
        TypeManifest.RegisterWellKnownGeneric(30, typeof(ValueTuple<,,>), typeof(ValueTupleCodec<,,>));
        TypeManifest.RegisterWellKnownException(31);
        TypeManifest.RegisterWellKnown(32, ReadOnlyMemoryCodec.Instance);
        TypeManifest.RegisterWellKnown(33, NoResultCodec.Instance);
        TypeManifest.RegisterWellKnown(34, ObjectCodec.Instance);
    }
}
