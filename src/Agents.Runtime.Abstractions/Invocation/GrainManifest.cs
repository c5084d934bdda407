namespace Agents.Invocation;

/// <summary>How a grain interface's grains are keyed.</summary>
public enum GrainKeyKind
{
    String,
    Guid,
    Integer,
}

/// <summary>A grain interface as generated code describes it: ids, key kind, proxy factory and methods.</summary>
public sealed class GrainInterfaceDescriptor(
    Type interfaceType,
    uint interfaceId,
    GrainKeyKind keyKind,
    Func<IGrainCallRuntime, GrainId, GrainReference> proxyFactory,
    IReadOnlyList<GrainMethodDescriptor> methods)
{
    public Type InterfaceType { get; } = interfaceType;

    public uint InterfaceId { get; } = interfaceId;

    public GrainKeyKind KeyKind { get; } = keyKind;

    /// <summary>Creates the generated proxy for a grain.</summary>
    public Func<IGrainCallRuntime, GrainId, GrainReference> ProxyFactory { get; } = proxyFactory;

    public IReadOnlyList<GrainMethodDescriptor> Methods { get; } = methods;

    public override string ToString() => InterfaceType.FullName ?? InterfaceType.Name;
}

/// <summary>
/// A grain class as generated code describes it: the grain interfaces it implements and a factory
/// that constructs it with its dependencies (services from DI, persistent state from its context).
/// Attributes on the class (reentrancy, stateless worker, collection age, implicit subscriptions,
/// placement) are read by the runtime when the manifest is loaded.
/// </summary>
public sealed class GrainClassDescriptor(
    Type grainClass,
    IReadOnlyList<Type> interfaces,
    Func<IServiceProvider, IGrainContext, object> factory)
{
    public Type GrainClass { get; } = grainClass;

    public IReadOnlyList<Type> Interfaces { get; } = interfaces;

    public Func<IServiceProvider, IGrainContext, object> Factory { get; } = factory;

    public override string ToString() => GrainClass.FullName ?? GrainClass.Name;
}

/// <summary>Collects what generated manifests declare.</summary>
public interface IGrainManifestBuilder
{
    void AddInterface(GrainInterfaceDescriptor descriptor);

    void AddGrainClass(GrainClassDescriptor descriptor);

    /// <summary>A type with a generated codec and copier; its presence puts the type on the wire allow-list.</summary>
    void AddSerializableType(Type type, string alias);

    /// <summary>
    /// The generated deep copier of a mutable <see cref="GenerateSerializerAttribute"/> type. Generated
    /// requests call copiers of their own assembly directly; this registration serves values whose
    /// static type does not name the copier (an <c>object</c> or interface parameter, a derived class,
    /// a type from another assembly). The default registers it with <see cref="Serialization.DeepCopier"/>,
    /// which is process-wide; a builder that overrides this must register it there too.
    /// </summary>
    void AddCopier<T>(Func<T, T> copier) => Serialization.DeepCopier.Register(copier);

    /// <summary>
    /// The generated codec of a <see cref="GenerateSerializerAttribute"/> type, under its wire alias.
    /// Generated requests call codecs of their own assembly directly; this registration serves values
    /// of the type reached through <c>object</c>, interfaces or base classes, and other assemblies.
    /// The default registers it with <see cref="Serialization.TypeManifest"/>, which is process-wide
    /// and is the wire allow-list; a builder that overrides this must register it there too.
    /// </summary>
    void AddCodec<T>(string alias, Serialization.IFieldCodec<T> codec) => Serialization.TypeManifest.Register(alias, codec);

    /// <summary>
    /// The generated exception support of a <see cref="GenerateSerializerAttribute"/> exception type:
    /// how to construct it from a message and inner exception, and its [Id] members. The default
    /// registers it with <see cref="Serialization.ExceptionCodec"/>, so remote callers get the same type back.
    /// </summary>
    void AddExceptionType<T>(string alias, Func<string, Exception?, T> create, Serialization.MemberWriter<T> writeMembers, Serialization.MemberReader<T> readMembers)
        where T : Exception =>
        Serialization.ExceptionCodec.Register(alias, create, writeMembers, readMembers);
}

/// <summary>Implemented by each assembly's generated manifest.</summary>
public interface IGrainManifestProvider
{
    void Populate(IGrainManifestBuilder builder);
}

/// <summary>Names an assembly's generated manifest. Emitted by the generator.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class GrainManifestProviderAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}

/// <summary>
/// Names the manifest of a referenced assembly, so the reference survives compilation and the
/// runtime finds grains in assemblies the host never mentions by type. Emitted by the generator.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GrainManifestReferenceAttribute(Type providerType) : Attribute
{
    public Type ProviderType { get; } = providerType;
}
