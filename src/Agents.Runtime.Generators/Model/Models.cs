using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Model;

/*
 * The generator's models: everything an emitter needs, as strings and numbers, never symbols.
 * Records of equatable members compare by value, which is what lets the incremental pipeline
 * skip emitting when an edit did not change what a grain interface or class looks like.
 * Type strings are global::-qualified C# (Identifiers.Type); copy strings are C# expressions.
 */

/// <summary>What the compilation as a whole contributes: names and referenced manifests.</summary>
internal sealed record CompilationModel(
    string AssemblyIdentifier,
    EquatableArray<string> ReferencedManifests);

/// <summary>
/// A grain interface (or an unkeyed base of one) found in source: its diagnostics, and the
/// proxy to emit when it is a valid keyed grain interface. Only <see cref="Proxy"/> is equatable;
/// the rest is reported, not emitted (see DiagnosticBag).
/// </summary>
internal sealed record InterfaceModel(
    string DisplayName,
    Location? Location,
    ImmutableArray<Diagnostic> Diagnostics,
    ProxyModel? Proxy);

/// <summary>What is emitted for a keyed grain interface without errors.</summary>
internal sealed record ProxyModel(
    string InterfaceType,
    string GeneratedNamespace,
    string ProxyName,
    uint InterfaceId,
    string KeyKind,
    bool HasInternalsAccess,
    EquatableArray<MethodModel> Methods,
    EquatableArray<CodecModel> ImpliedCodecs)
{
    public string FullProxyName => "global::" + GeneratedNamespace + "." + ProxyName;
}

/// <summary>How a method returns: decides the awaitable the proxy hands back and the result type.</summary>
internal enum ReturnKind
{
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
}

/// <summary>Mirrors <c>Agents.Invocation.GrainMethodOptions</c>, which the generator cannot reference.</summary>
[System.Flags]
internal enum MethodOptions
{
    None = 0,
    OneWay = 1,
    ReadOnly = 2,
    AlwaysInterleave = 4,
}

/// <summary>One method of a proxy, inherited ones included.</summary>
internal sealed record MethodModel(
    string DeclaringInterfaceType,
    string DeclaringInterfaceTypeOf,
    uint InterfaceId,
    string Name,
    uint MethodId,
    string RequestName,
    ReturnKind ReturnKind,
    string ReturnType,
    string ResultType,
    string? ResultCopy,
    CodecRef? ResultCodec,
    MethodOptions Options,
    long? TimeoutTicks,
    EquatableArray<ParameterModel> Parameters)
{
    public bool IsOneWay => (Options & MethodOptions.OneWay) != 0;
}

/// <summary>
/// A method parameter and the request field that carries it. <see cref="Copy"/> is the
/// expression that deep-copies the field (with <c>{0}</c> for it), or null when it is immutable;
/// <see cref="Codec"/> writes it to the wire (null for the CancellationToken, which is not sent).
/// </summary>
internal sealed record ParameterModel(
    string Type,
    string FieldName,
    bool IsCancellationToken,
    string? Copy,
    CodecRef? Codec);

/// <summary>A grain class found in source: its diagnostics, and its factory when it is valid.</summary>
internal sealed record GrainClassModel(
    ImmutableArray<Diagnostic> Diagnostics,
    GrainFactoryModel? Factory);

/// <summary>What the manifest needs to describe and construct a grain class.</summary>
internal sealed record GrainFactoryModel(
    string ClassType,
    EquatableArray<string> Interfaces,
    EquatableArray<ConstructorArgumentModel> Arguments);

internal enum ConstructorArgumentKind
{
    Service,
    OptionalService,
    GrainContext,
    ServiceProvider,
    GrainFactory,
    PersistentState,
}

/// <summary>How the factory obtains one constructor argument. For state, <see cref="Type"/> is the state type.</summary>
internal sealed record ConstructorArgumentModel(
    ConstructorArgumentKind Kind,
    string Type,
    string? StateName,
    string? StorageName);

/// <summary>A type marked [GenerateSerializer]: its diagnostics, and its model when it is accessible.</summary>
internal sealed record SerializableTypeResult(
    ImmutableArray<Diagnostic> Diagnostics,
    SerializableTypeModel? Model);

/// <summary>
/// A [GenerateSerializer] type as the manifest lists it: its copier when it is mutable, its codec
/// when one can be generated, and the codecs of records of this assembly its members need.
/// </summary>
internal sealed record SerializableTypeModel(
    string TypeOfExpression,
    string Alias,
    CopierModel? Copier,
    CodecModel? Codec,
    EquatableArray<CodecModel> ImpliedCodecs);

/// <summary>A generated deep copier: how to create the copy and how to copy each member.</summary>
internal sealed record CopierModel(
    string Type,
    string MethodName,
    bool IsValueType,
    bool IsSealed,
    CopierConstruction Construction,
    EquatableArray<CopierMemberModel> Members);

internal enum CopierConstruction
{
    /// <summary><c>new T { ... }</c> with an accessible parameterless constructor.</summary>
    New,

    /// <summary>A private parameterless constructor reached through UnsafeAccessor.</summary>
    PrivateConstructor,

    /// <summary>No parameterless constructor: <c>RuntimeHelpers.GetUninitializedObject</c>.</summary>
    Uninitialized,

    /// <summary>A struct: copied by assignment, then its mutable members replaced.</summary>
    StructAssignment,
}

/// <summary>How a copier reads and writes one member.</summary>
internal enum MemberAccess
{
    /// <summary>Set in the object initializer (settable or init, accessible).</summary>
    Initializer,

    /// <summary>Assigned after construction (settable, accessible).</summary>
    Assignment,

    /// <summary>Through an UnsafeAccessor returning a ref to the field (private, readonly, or an auto-property's backing field).</summary>
    FieldAccessor,
}

/// <summary>
/// One member a copier copies. <see cref="Copy"/> deep-copies the value (<c>{0}</c> for it) or is
/// null for an immutable member; <see cref="FieldName"/> and <see cref="DeclaringType"/> are for accessors.
/// </summary>
internal sealed record CopierMemberModel(
    string Name,
    string Type,
    MemberAccess Access,
    string? FieldName,
    string DeclaringType,
    string? Copy);
