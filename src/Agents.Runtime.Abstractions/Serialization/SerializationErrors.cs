using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Agents.Serialization;

/// <summary>
/// Throw helpers: kept out of line so the reader's and writer's hot paths stay small enough to
/// inline. Messages say what was wrong and, where it helps, which limit to raise.
/// </summary>
internal static class SerializationErrors
{
    [DoesNotReturn]
    public static void EndOfInput() =>
        throw new SerializationException("The input ended in the middle of a value: it is truncated or corrupt.");

    [DoesNotReturn]
    public static void Malformed(string what) =>
        throw new SerializationException($"The input is malformed: {what}.");

    [DoesNotReturn]
    public static void WrongWireType(WireField field, WireType expected) =>
        throw new SerializationException($"Field {field.Id} has wire type {field.WireType} where {expected} was expected; the sender's type for this field is incompatible.");

    [DoesNotReturn]
    public static void OutOfRange(WireField field, string type) =>
        throw new SerializationException($"Field {field.Id} holds a value out of the range of {type}.");

    [DoesNotReturn]
    public static void LengthOverInput(ulong length, int remaining) =>
        throw new SerializationException($"A length prefix declares {length.ToString(CultureInfo.InvariantCulture)} bytes but only {remaining.ToString(CultureInfo.InvariantCulture)} remain: the input is truncated or corrupt.");

    [DoesNotReturn]
    public static void LengthOverLimit(ulong length, int limit) =>
        throw new SerializationException($"A length prefix declares {length.ToString(CultureInfo.InvariantCulture)} bytes, over the limit of {limit.ToString(CultureInfo.InvariantCulture)} (SerializerOptions.MaxLength).");

    [DoesNotReturn]
    public static void CountOverLimit(ulong count, int limit) =>
        throw new SerializationException($"A collection declares {count.ToString(CultureInfo.InvariantCulture)} elements, over the limit of {limit.ToString(CultureInfo.InvariantCulture)} (SerializerOptions.MaxCollectionCount).");

    [DoesNotReturn]
    public static void CountOverInput(ulong count, int remaining) =>
        throw new SerializationException($"A collection declares {count.ToString(CultureInfo.InvariantCulture)} elements but only {remaining.ToString(CultureInfo.InvariantCulture)} bytes remain: the input is truncated or corrupt.");

    [DoesNotReturn]
    public static void ReadTooDeep(int limit) =>
        throw new SerializationException($"The input nests objects more than {limit.ToString(CultureInfo.InvariantCulture)} levels deep (SerializerOptions.MaxDepth).");

    [DoesNotReturn]
    public static void WriteTooDeep(int limit) =>
        throw new SerializationException($"Cannot write objects nested more than {limit.ToString(CultureInfo.InvariantCulture)} levels deep (SerializerOptions.MaxDepth): the object graph is too deep or has a cycle, and cycles are not supported.");

    [DoesNotReturn]
    public static void FieldIdTooLarge(uint fieldId) =>
        throw new SerializationException($"Field id {fieldId.ToString(CultureInfo.InvariantCulture)} is over the largest id a field header can carry ({WireWriter.MaxFieldId.ToString(CultureInfo.InvariantCulture)}).");

    [DoesNotReturn]
    public static void TypeNotAllowed(string typeName) =>
        throw new SerializationException(
            $"Cannot deserialize a value: type '{typeName}' is not allowed. Only types in the type manifest (built-ins, [GenerateSerializer] types, registered codecs) are read from the wire, and names are never loaded.");

    [DoesNotReturn]
    public static void NoCodec(Type type) =>
        throw new SerializationException(
            $"Type '{type}' has no codec, so values of it cannot be sent to another process. Mark it [GenerateSerializer] (its assembly's generated manifest registers the codec) or register a codec with TypeManifest.Register.");

    [DoesNotReturn]
    public static void NotAssignable(Type actual, Type expected) =>
        throw new SerializationException($"The input holds a value of type '{actual}' where a '{expected}' was expected.");
}
