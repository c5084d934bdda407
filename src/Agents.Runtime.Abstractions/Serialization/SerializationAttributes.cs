namespace Agents;

/// <summary>
/// Generate a codec and a deep copier for this type. Members to serialize carry
/// <see cref="IdAttribute"/>; ids, not names or order, identify fields on the wire, so fields can
/// be added and removed without breaking older peers.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum, Inherited = false)]
public sealed class GenerateSerializerAttribute : Attribute
{
}

/// <summary>The stable field id of a serialized member.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class IdAttribute(uint id) : Attribute
{
    public uint Id { get; } = id;
}

/// <summary>
/// Values of this type (or this parameter) are never mutated after they are sent, so local calls
/// pass them by reference instead of deep-copying them.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Parameter | AttributeTargets.ReturnValue)]
public sealed class ImmutableAttribute : Attribute
{
}
