namespace Agents.CodeGeneration.Model;

/*
 * Models of the wire codecs (docs/codegen.md, "Codecs"). Like the other models they hold strings
 * and numbers only, so the incremental pipeline can compare them.
 */

/// <summary>
/// A codec instance generated code uses: its C# type and the expression that creates it. A shared
/// codec is a static <c>Instance</c> and is used in place; any other is created once, in a static field.
/// </summary>
internal sealed record CodecRef(string Type, string Expression, bool IsShared);

internal enum CodecKind
{
    /// <summary>A class: a codec class that constructs the object, then reads its members into it.</summary>
    Class,

    /// <summary>A struct: like a class, on a local copy.</summary>
    Struct,

    /// <summary>An enum: registered with the built-in EnumCodec, no class emitted.</summary>
    Enum,

    /// <summary>An abstract class: values are always of a derived type, so only derived codecs exist.</summary>
    Abstract,

    /// <summary>An exception: the exception codec carries message, stack and inner exception; the codec class adds the [Id] members.</summary>
    Exception,
}

internal enum CodecConstruction
{
    /// <summary><c>new T()</c>.</summary>
    New,

    /// <summary>A parameterless constructor generated code cannot call directly (private, or the type has required members): an UnsafeAccessor.</summary>
    ConstructorAccessor,

    /// <summary>No parameterless constructor: <c>RuntimeHelpers.GetUninitializedObject</c>; members the sender omits stay zero.</summary>
    Uninitialized,

    /// <summary>A struct starts as <c>default</c>.</summary>
    Default,
}

/// <summary>How an exception type is built from the message and inner exception the exception codec read.</summary>
internal enum ExceptionConstructor
{
    None,
    MessageAndInner,
    Message,
}

/// <summary>The generated codec of a [GenerateSerializer] type or of a record a grain method sends.</summary>
internal sealed record CodecModel(
    string Type,
    string TypeOfExpression,
    string Alias,
    string ClassName,
    CodecKind Kind,
    bool IsSealed,
    CodecConstruction Construction,
    ExceptionConstructor ExceptionConstructor,
    EquatableArray<CodecMemberModel> Members);

/// <summary>
/// One serialized member. It is read directly when <see cref="DirectGet"/>, assigned directly when
/// <see cref="DirectSet"/>, and otherwise reached through an UnsafeAccessor ref to <see cref="AccessorField"/>.
/// </summary>
internal sealed record CodecMemberModel(
    uint Id,
    string Name,
    string Type,
    string DeclaringType,
    string? AccessorField,
    bool DirectGet,
    bool DirectSet,
    CodecRef Codec);
