using System.Collections.Frozen;
using System.Reflection;
using Agents.Invocation;

namespace Agents.Runtime.Catalog;

/// <summary>
/// Every grain interface and grain class known to this process, built once at start-up from the
/// generated manifests: the entry assembly's, those of assemblies it references through
/// <see cref="GrainManifestReferenceAttribute"/>, those of assemblies already loaded, and any added
/// explicitly. Lookups afterwards are read-only and lock-free.
/// </summary>
public sealed class GrainTypeRegistry
{
    private readonly FrozenDictionary<Type, GrainInterfaceDescriptor> _interfaces;
    private readonly FrozenDictionary<GrainType, GrainClassInfo> _classes;
    private readonly FrozenDictionary<Type, InterfaceBinding> _bindings;
    private readonly FrozenSet<string> _serializableTypes;
    private readonly FrozenDictionary<ulong, GrainMethodDescriptor> _methods;

    internal GrainTypeRegistry(IEnumerable<Assembly> assemblies, TimeSpan? defaultCollectionAge = null)
    {
        var builder = new Builder();
        foreach (var provider in DiscoverProviders(assemblies))
        {
            provider.Populate(builder);
        }

        _interfaces = builder.Interfaces.ToFrozenDictionary();
        var classes = new Dictionary<GrainType, GrainClassInfo>();
        foreach (var descriptor in builder.Classes.Values)
        {
            var grainType = GrainClassInfo.GrainTypeOf(descriptor.GrainClass);
            if (classes.TryGetValue(grainType, out var existing))
            {
                throw new InvalidOperationException(
                    $"Grain classes {existing.GrainClass.FullName} and {descriptor.GrainClass.FullName} both have grain type '{grainType}'. " +
                    "Give one of them a distinct name with [GrainType(\"...\")].");
            }

            classes[grainType] = new GrainClassInfo(grainType, descriptor, defaultCollectionAge);
        }

        _classes = classes.ToFrozenDictionary();
        _bindings = _interfaces.Values.ToFrozenDictionary(d => d.InterfaceType, d => Bind(d, Implementations(d.InterfaceType, classes.Values)));
        _serializableTypes = builder.SerializableTypes.ToFrozenSet(StringComparer.Ordinal);
        var methods = new Dictionary<ulong, GrainMethodDescriptor>();
        foreach (var method in _interfaces.Values.SelectMany(i => i.Methods))
        {
            // The generator refuses id collisions within an interface (AGT0004); across interfaces the interface id differs.
            methods.TryAdd(MethodKey(method.InterfaceId, method.MethodId), method);
        }

        // Stream deliveries and reminder ticks are runtime requests, not generated ones: registered here so a silo can receive them from another.
        foreach (var runtimeMethod in (ReadOnlySpan<GrainMethodDescriptor>)[Streams.StreamDeliveryRequest.Descriptor, Reminders.ReminderTickRequest.Descriptor])
        {
            methods.TryAdd(MethodKey(runtimeMethod.InterfaceId, runtimeMethod.MethodId), runtimeMethod);
        }

        _methods = methods.ToFrozenDictionary();
    }

    private static ulong MethodKey(uint interfaceId, uint methodId) => ((ulong)interfaceId << 32) | methodId;

    /// <summary>The method a remote request names by its interface and method ids.</summary>
    internal bool TryGetMethod(uint interfaceId, uint methodId, out GrainMethodDescriptor method) =>
        _methods.TryGetValue(MethodKey(interfaceId, methodId), out method!);

    /// <summary>Grain classes by grain type.</summary>
    internal IEnumerable<GrainClassInfo> Classes => _classes.Values;

    public IEnumerable<GrainInterfaceDescriptor> Interfaces => _interfaces.Values;

    public IEnumerable<GrainType> GrainTypes => _classes.Keys;

    /// <summary>Aliases of types with generated serializers: the wire allow-list.</summary>
    public IReadOnlySet<string> SerializableTypes => _serializableTypes;

    internal bool TryGetClass(GrainType grainType, out GrainClassInfo info) => _classes.TryGetValue(grainType, out info!);

    public GrainInterfaceDescriptor GetInterface(Type interfaceType) =>
        _interfaces.TryGetValue(interfaceType, out var descriptor)
            ? descriptor
            : throw new GrainTypeNotFoundException(
                $"{interfaceType.FullName} is not a known grain interface. Grain interfaces derive from IGrainWithStringKey, " +
                "IGrainWithGuidKey or IGrainWithIntegerKey and are declared in a project that runs the Agents source generator.");

    /// <summary>The single grain type that implements <paramref name="interfaceType"/>.</summary>
    public GrainType GetGrainTypeFor(Type interfaceType) => Resolve(interfaceType).GrainType;

    /// <summary>
    /// The interface's descriptor and the grain type <c>GetGrain&lt;T&gt;(key)</c> means, in one
    /// lookup (decided once when the manifest loaded); throws when no single class implements it.
    /// </summary>
    internal (GrainInterfaceDescriptor Descriptor, GrainType GrainType) Resolve(Type interfaceType)
    {
        if (!_bindings.TryGetValue(interfaceType, out var binding))
        {
            GetInterface(interfaceType);
        }

        return binding!.Error is { } error
            ? throw new GrainTypeNotFoundException(error)
            : (binding.Descriptor, binding.GrainType);
    }

    private static InterfaceBinding Bind(GrainInterfaceDescriptor descriptor, GrainClassInfo[] implementations)
    {
        var name = descriptor.InterfaceType.FullName;
        return implementations.Length switch
        {
            1 => new InterfaceBinding(descriptor, implementations[0].GrainType, null),
            0 when descriptor.InterfaceType.GetCustomAttribute<DefaultGrainTypeAttribute>() is { } named =>
                new InterfaceBinding(descriptor, new GrainType(named.GrainType), null),
            0 => new InterfaceBinding(descriptor, default, $"No grain class implements {name}. Is the project with the grain class referenced by the silo?"),
            _ => new InterfaceBinding(descriptor, default,
                $"{name} is implemented by several grain classes ({string.Join(", ", implementations.Select(c => c.GrainClass.Name))}); " +
                "call GetGrain<T>(GrainId) with the grain type you want."),
        };
    }

    /// <summary>What <c>GetGrain&lt;T&gt;(key)</c> resolves to for one interface, or why it cannot.</summary>
    private sealed record InterfaceBinding(GrainInterfaceDescriptor Descriptor, GrainType GrainType, string? Error);

    /// <summary>Whether grains of <paramref name="grainType"/> implement <paramref name="interfaceType"/>.</summary>
    public bool Implements(GrainType grainType, Type interfaceType) =>
        _classes.TryGetValue(grainType, out var info)
            ? info.Descriptor.Interfaces.Contains(interfaceType)
            : interfaceType.GetCustomAttribute<DefaultGrainTypeAttribute>()?.GrainType == grainType.Value;

    /// <summary>
    /// The classes <c>GetGrain&lt;T&gt;</c> may mean: those implementing <paramref name="grainInterface"/>,
    /// narrowed to the ones for which it is the most specific grain interface (a class that
    /// implements a grain interface derived from it is reached through the derived one).
    /// </summary>
    private static GrainClassInfo[] Implementations(Type grainInterface, IEnumerable<GrainClassInfo> classes)
    {
        var all = classes.Where(c => c.Descriptor.Interfaces.Contains(grainInterface)).ToArray();
        var direct = all.Where(c => !c.Descriptor.Interfaces.Any(other => other != grainInterface && grainInterface.IsAssignableFrom(other))).ToArray();
        return (direct.Length > 0 ? direct : all).OrderBy(c => c.GrainType.Value, StringComparer.Ordinal).ToArray();
    }

    private static List<IGrainManifestProvider> DiscoverProviders(IEnumerable<Assembly> roots)
    {
        var seenAssemblies = new HashSet<Assembly>();
        var seenProviders = new HashSet<Type>();
        var providers = new List<IGrainManifestProvider>();
        var pending = new Stack<Assembly>(roots);
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (!seenAssemblies.Add(assembly))
            {
                continue;
            }

            foreach (var attribute in assembly.GetCustomAttributes<GrainManifestProviderAttribute>())
            {
                if (seenProviders.Add(attribute.ProviderType))
                {
                    providers.Add((IGrainManifestProvider)Activator.CreateInstance(attribute.ProviderType)!);
                }
            }

            foreach (var reference in assembly.GetCustomAttributes<GrainManifestReferenceAttribute>())
            {
                pending.Push(reference.ProviderType.Assembly);
            }
        }

        return providers;
    }

    /// <summary>The assemblies to start discovery from: the entry assembly and every loaded assembly that carries a manifest.</summary>
    internal static IEnumerable<Assembly> DefaultRoots()
    {
        if (Assembly.GetEntryAssembly() is { } entry)
        {
            yield return entry;
        }

        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && assembly.IsDefined(typeof(GrainManifestProviderAttribute), inherit: false))
            {
                yield return assembly;
            }
        }
    }

    private sealed class Builder : IGrainManifestBuilder
    {
        public Dictionary<Type, GrainInterfaceDescriptor> Interfaces { get; } = [];

        public Dictionary<Type, GrainClassDescriptor> Classes { get; } = [];

        public HashSet<string> SerializableTypes { get; } = new(StringComparer.Ordinal);

        public void AddInterface(GrainInterfaceDescriptor descriptor) => Interfaces[descriptor.InterfaceType] = descriptor;

        public void AddGrainClass(GrainClassDescriptor descriptor) => Classes[descriptor.GrainClass] = descriptor;

        public void AddSerializableType(Type type, string alias) => SerializableTypes.Add(alias);
    }
}
