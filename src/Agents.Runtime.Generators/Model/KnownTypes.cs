using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Model;

/// <summary>The Agents and framework types the generator looks for, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    private static readonly ConditionalWeakTable<Compilation, Holder> Cache = new();

    private KnownTypes(Compilation compilation, INamedTypeSymbol grain)
    {
        Compilation = compilation;
        Grain = grain;
        Addressable = compilation.GetTypeByMetadataName("Agents.IAddressable");
        StringKey = compilation.GetTypeByMetadataName("Agents.IGrainWithStringKey");
        GuidKey = compilation.GetTypeByMetadataName("Agents.IGrainWithGuidKey");
        IntegerKey = compilation.GetTypeByMetadataName("Agents.IGrainWithIntegerKey");
        GrainContext = compilation.GetTypeByMetadataName("Agents.IGrainContext");
        GrainFactory = compilation.GetTypeByMetadataName("Agents.IGrainFactory");
        PersistentState = compilation.GetTypeByMetadataName("Agents.IPersistentState`1");
        GrainReference = compilation.GetTypeByMetadataName("Agents.Invocation.GrainReference");
        ServiceProvider = compilation.GetTypeByMetadataName("System.IServiceProvider");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        AsyncEnumerable = compilation.GetTypeByMetadataName("System.Collections.Generic.IAsyncEnumerable`1");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        List = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
        Dictionary = compilation.GetTypeByMetadataName("System.Collections.Generic.Dictionary`2");
        HashSet = compilation.GetTypeByMetadataName("System.Collections.Generic.HashSet`1");
        ImmutableArray = compilation.GetTypeByMetadataName("System.Collections.Immutable.ImmutableArray`1");
        KeyValuePair = compilation.GetTypeByMetadataName("System.Collections.Generic.KeyValuePair`2");
        ValueTuple2 = compilation.GetTypeByMetadataName("System.ValueTuple`2");
        ValueTuple3 = compilation.GetTypeByMetadataName("System.ValueTuple`3");
        ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
        Exception = compilation.GetTypeByMetadataName("System.Exception");
        HasUnsafeAccessor = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.UnsafeAccessorAttribute") is not null;
        HasInternalsAccess = grain.ContainingAssembly.GivesAccessTo(compilation.Assembly);
        AssemblyIdentifier = Identifiers.Sanitize(compilation.AssemblyName ?? "Assembly");
    }

    public const string GenerateSerializerAttribute = "Agents.GenerateSerializerAttribute";
    public const string ImmutableAttribute = "Agents.ImmutableAttribute";
    public const string IdAttribute = "Agents.IdAttribute";
    public const string AliasAttribute = "Agents.AliasAttribute";
    public const string OneWayAttribute = "Agents.OneWayAttribute";
    public const string ReadOnlyAttribute = "Agents.ReadOnlyAttribute";
    public const string AlwaysInterleaveAttribute = "Agents.AlwaysInterleaveAttribute";
    public const string ResponseTimeoutAttribute = "Agents.ResponseTimeoutAttribute";
    public const string PersistentStateAttribute = "Agents.PersistentStateAttribute";
    public const string ManifestProviderAttribute = "Agents.Invocation.GrainManifestProviderAttribute";

    public Compilation Compilation { get; }

    public INamedTypeSymbol Grain { get; }

    public INamedTypeSymbol? Addressable { get; }

    public INamedTypeSymbol? StringKey { get; }

    public INamedTypeSymbol? GuidKey { get; }

    public INamedTypeSymbol? IntegerKey { get; }

    public INamedTypeSymbol? GrainContext { get; }

    public INamedTypeSymbol? GrainFactory { get; }

    public INamedTypeSymbol? PersistentState { get; }

    public INamedTypeSymbol? GrainReference { get; }

    public INamedTypeSymbol? ServiceProvider { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? TaskOfT { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? ValueTaskOfT { get; }

    public INamedTypeSymbol? AsyncEnumerable { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? List { get; }

    public INamedTypeSymbol? Dictionary { get; }

    public INamedTypeSymbol? HashSet { get; }

    public INamedTypeSymbol? ImmutableArray { get; }

    public INamedTypeSymbol? KeyValuePair { get; }

    public INamedTypeSymbol? ValueTuple2 { get; }

    public INamedTypeSymbol? ValueTuple3 { get; }

    public INamedTypeSymbol? ReadOnlyMemory { get; }

    public INamedTypeSymbol? Exception { get; }

    /// <summary>Whether generated copiers may reach private members (.NET 8 and later).</summary>
    public bool HasUnsafeAccessor { get; }

    /// <summary>
    /// Whether Agents.Runtime.Abstractions grants this assembly its internals. It decides how an
    /// override of a <c>protected internal</c> member must be declared (C# requires
    /// <c>protected internal</c> then, <c>protected</c> otherwise).
    /// </summary>
    public bool HasInternalsAccess { get; }

    /// <summary>The assembly name as an identifier, for the manifest and copier class names.</summary>
    public string AssemblyIdentifier { get; }

    /// <summary>The known types, or null when the compilation does not reference Agents.Runtime.Abstractions.</summary>
    /// <remarks>
    /// Transforms run for every candidate declaration on every compilation; the weak table resolves
    /// the ~20 types once per compilation instead, and lets them go with it.
    /// </remarks>
    public static KnownTypes? Create(Compilation compilation) =>
        Cache.GetValue(compilation, static c => new Holder(c.GetTypeByMetadataName("Agents.IGrain") is { } grain ? new KnownTypes(c, grain) : null)).Value;

    private sealed class Holder(KnownTypes? value)
    {
        public KnownTypes? Value { get; } = value;
    }

    public bool IsGrainInterfaceOrBase(INamedTypeSymbol type) =>
        type.TypeKind == TypeKind.Interface && type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, Grain));

    /// <summary>The key interfaces <paramref name="type"/> is or derives from.</summary>
    public IReadOnlyList<INamedTypeSymbol> KeyInterfaces(INamedTypeSymbol type)
    {
        var result = new List<INamedTypeSymbol>(1);
        foreach (var key in new[] { StringKey, GuidKey, IntegerKey })
        {
            if (key is not null && (SymbolEqualityComparer.Default.Equals(type, key) || type.AllInterfaces.Contains(key, SymbolEqualityComparer.Default)))
            {
                result.Add(key);
            }
        }

        return result;
    }

    /// <summary>A grain interface in the sense of docs/codegen.md: an interface deriving from a keyed grain interface.</summary>
    public bool IsKeyedGrainInterface(INamedTypeSymbol type) =>
        type.TypeKind == TypeKind.Interface && !IsKeyInterface(type) && KeyInterfaces(type).Count > 0;

    public bool IsKeyInterface(INamedTypeSymbol type) =>
        SymbolEqualityComparer.Default.Equals(type, StringKey)
        || SymbolEqualityComparer.Default.Equals(type, GuidKey)
        || SymbolEqualityComparer.Default.Equals(type, IntegerKey);

    /// <summary>The marker interfaces that carry no methods: IAddressable, IGrain and the key interfaces.</summary>
    public bool IsMarkerInterface(INamedTypeSymbol type) =>
        SymbolEqualityComparer.Default.Equals(type, Grain) || SymbolEqualityComparer.Default.Equals(type, Addressable) || IsKeyInterface(type);

    /// <summary>Whether <paramref name="type"/> is <see cref="Exception"/> or derives from it.</summary>
    public bool IsException(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, Exception))
            {
                return true;
            }
        }

        return false;
    }

    public bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);
}
