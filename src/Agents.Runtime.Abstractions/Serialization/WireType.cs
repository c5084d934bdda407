namespace Agents.Serialization;

/// <summary>
/// How a field's payload is laid out. A reader can skip any field knowing only its wire type,
/// which is what lets a peer ignore fields it does not know. The value is the low 3 bits of the
/// field header, so it can never change.
/// </summary>
public enum WireType : byte
{
    /// <summary>A variable-length integer (7 bits per byte, least significant group first); signed values zig-zag encoded.</summary>
    VarInt = 0,

    /// <summary>Four bytes, little-endian (<see cref="float"/>).</summary>
    Fixed32 = 1,

    /// <summary>Eight bytes, little-endian (<see cref="double"/>, <see cref="DateTime"/>).</summary>
    Fixed64 = 2,

    /// <summary>A <see cref="VarInt"/> byte count, then that many bytes (strings as UTF-8, byte arrays, Guid, decimal).</summary>
    LengthPrefixed = 3,

    /// <summary>A nested object: fields follow until the matching <see cref="EndObject"/>.</summary>
    StartObject = 4,

    /// <summary>Ends the innermost object (or an object body such as a request's arguments). Its field id is 0.</summary>
    EndObject = 5,

    /// <summary>A value of a runtime type other than the static one: a type reference, then the value as field 0.</summary>
    Typed = 6,

    /// <summary>A null reference or an empty <see cref="Nullable{T}"/>; no payload.</summary>
    Null = 7,
}

/// <summary>A field header as read from the wire: the field's id and how its payload is laid out.</summary>
public readonly struct WireField(uint id, WireType wireType) : IEquatable<WireField>
{
    /// <summary>The field id (an <see cref="IdAttribute"/> value, an argument position, or a codec's own numbering).</summary>
    public uint Id { get; } = id;

    public WireType WireType { get; } = wireType;

    /// <summary>Whether the field carries null.</summary>
    public bool IsNull => WireType == WireType.Null;

    public bool Equals(WireField other) => Id == other.Id && WireType == other.WireType;

    public override bool Equals(object? obj) => obj is WireField other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Id, WireType);

    public override string ToString() => $"field {Id} ({WireType})";

    public static bool operator ==(WireField left, WireField right) => left.Equals(right);

    public static bool operator !=(WireField left, WireField right) => !left.Equals(right);
}
