using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Agents.Serialization;

/*
 * The type allow-list and codec registry. Two questions go through it:
 *
 *  - "What codec writes a T?" (GetCodec<T>): generated code and the request hooks ask it once per
 *    static type; the answer is cached in CodecCache<T>, a static generic field, so later calls are
 *    a field read. Built-in shapes (enums, nullables, arrays, the standard collections, grain
 *    interfaces, exceptions) get their generic codec constructed by reflection, once per closed type.
 *    Types that do not pin the runtime type (object, interfaces, abstract or unsealed classes without
 *    a codec) get PolymorphicCodec<T>, which writes each value by its runtime type.
 *
 *  - "Which type does this type reference name?" (TypeReferences.Read): only entries registered
 *    here answer: the well-known built-ins (by number), Register/RegisterGeneric aliases (by name),
 *    and arrays and closed generics built from those. An unknown name is a SerializationException;
 *    no name read from the wire ever reaches Type.GetType or an assembly load, so the wire can only
 *    instantiate types a manifest put here.
 *
 * The registry is process-wide, like DeepCopier: generated manifests register their types through
 * IGrainManifestBuilder.AddCodec, whose default implementation calls Register. Registering a type
 * again replaces its codec; registering an alias already held by another type is an error, since two
 * peers would then disagree about what the alias means.
 */

/// <summary>
/// The wire allow-list: which types may be read from the wire, under which alias, with which codec.
/// Built-in types are registered from the start; generated manifests register [GenerateSerializer]
/// types; call <see cref="Register{T}"/> for a type you write a codec for yourself.
/// </summary>
public static class TypeManifest
{
    private static readonly ConcurrentDictionary<Type, TypeEntry> ByType = new();
    private static readonly ConcurrentDictionary<string, TypeEntry> ByAlias = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, TypeEntry>.AlternateLookup<ReadOnlySpan<char>> AliasLookup =
        ByAlias.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly TypeEntry?[] WellKnown = new TypeEntry?[WellKnownTypes.Count];

    private static readonly MethodInfo CreateEntryMethod =
        typeof(TypeManifest).GetMethod(nameof(CreateEntry), BindingFlags.NonPublic | BindingFlags.Static)!;

    static TypeManifest() => WellKnownTypes.RegisterAll();

    /// <summary>
    /// Allows <typeparamref name="T"/> on the wire under <paramref name="alias"/> and sets its codec.
    /// The alias is what a Typed field carries, so it must mean the same type on every peer.
    /// </summary>
    public static void Register<T>(string alias, IFieldCodec<T> codec)
    {
        ArgumentException.ThrowIfNullOrEmpty(alias);
        ArgumentNullException.ThrowIfNull(codec);
        var entry = new TypeEntry(typeof(T), alias, TypeReferences.EncodeNamed(alias, 0), new BoxedCodec<T>(codec), 0, null);

        // Registration happens at start-up, possibly from several manifests loading at once (two
        // runtimes in one process): the alias and type maps must change together.
        lock (RegistrationLock)
        {
            AddAlias(entry);
            ByType[typeof(T)] = entry;
            CodecCache<T>.Codec = codec;
        }
    }

    private static readonly Lock RegistrationLock = new();

    /// <summary>
    /// Allows the closed forms of a generic type definition whose type arguments are allowed.
    /// <paramref name="codecDefinition"/> is the codec's generic definition, with the same type
    /// parameters and a public parameterless constructor.
    /// </summary>
    public static void RegisterGeneric(Type definition, string alias, Type codecDefinition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(codecDefinition);
        ArgumentException.ThrowIfNullOrEmpty(alias);
        var arity = definition.IsGenericTypeDefinition ? definition.GetGenericArguments().Length : 0;
        if (arity is 0 or > TypeReferences.MaxArity || !codecDefinition.IsGenericTypeDefinition || codecDefinition.GetGenericArguments().Length != arity)
        {
            throw new ArgumentException($"'{definition}' must be a generic type definition of 1 to {TypeReferences.MaxArity} parameters, and '{codecDefinition}' a codec definition with as many.", nameof(definition));
        }

        var entry = new TypeEntry(definition, alias, TypeReferences.EncodeNamed(alias, arity), null, arity, codecDefinition);
        AddAlias(entry);
        ByType[definition] = entry;
    }

    /// <summary>The codec of <typeparamref name="T"/>.</summary>
    /// <exception cref="SerializationException">The type has no codec and is sealed (so no runtime type could have one).</exception>
    public static IFieldCodec<T> GetCodec<T>() => CodecCache<T>.Codec ?? Resolve<T>();

    /// <summary>Whether values whose runtime type is <paramref name="type"/> can be written Typed and read back.</summary>
    public static bool IsAllowed(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        try
        {
            GetEntry(type);
            return true;
        }
        catch (SerializationException)
        {
            return false;
        }
    }

    /// <summary>The alias <paramref name="type"/> was registered under, or null.</summary>
    public static string? GetAlias(Type type) =>
        ByType.TryGetValue(type, out var entry) && ByAlias.TryGetValue(entry.Name, out var named) && named.Type == entry.Type ? entry.Name : null;

    /// <summary>The entry that writes values of runtime type <paramref name="type"/> Typed.</summary>
    internal static TypeEntry GetEntry(Type type)
    {
        if (ByType.TryGetValue(type, out var entry) && entry.Codec is not null)
        {
            return entry;
        }

        entry = CreateRuntimeEntry(type);
        return ByType.GetOrAdd(type, entry);
    }

    internal static TypeEntry? FindWellKnown(uint id) => id < (uint)WellKnown.Length ? WellKnown[id] : null;

    internal static TypeEntry? FindAlias(ReadOnlySpan<char> alias) => AliasLookup.TryGetValue(alias, out var entry) ? entry : null;

    /// <summary>The entry of a generic definition (or array) closed over <paramref name="arguments"/>.</summary>
    internal static TypeEntry Construct(TypeEntry definition, TypeEntry[] arguments)
    {
        Type closed;
        try
        {
            closed = definition.Type == typeof(Array)
                ? arguments[0].Type.MakeArrayType()
                : definition.Type.MakeGenericType(Array.ConvertAll(arguments, a => a.Type));
        }
        catch (ArgumentException e)
        {
            throw new SerializationException($"The input names '{definition.Name}' with type arguments it does not accept.", e);
        }

        return GetEntry(closed);
    }

    internal static void RegisterWellKnown<T>(int id, IFieldCodec<T> codec)
    {
        var entry = new TypeEntry(typeof(T), typeof(T).FullName!, TypeReferences.EncodeWellKnown(id, 0), new BoxedCodec<T>(codec), 0, null) { WellKnownId = id };
        WellKnown[id] = entry;
        ByType[typeof(T)] = entry;
        CodecCache<T>.Codec = codec;
    }

    /// <summary>A well-known generic definition; <see cref="Array"/> stands for single-dimensional arrays.</summary>
    internal static void RegisterWellKnownGeneric(int id, Type definition, Type codecDefinition)
    {
        var arity = definition == typeof(Array) ? 1 : definition.GetGenericArguments().Length;
        var entry = new TypeEntry(definition, definition.FullName!, TypeReferences.EncodeWellKnown(id, arity), null, arity, codecDefinition) { WellKnownId = id };
        WellKnown[id] = entry;
        ByType[definition] = entry;
    }

    /// <summary>Exceptions of every type share one well-known entry: the exception codec carries the type name itself.</summary>
    internal static void RegisterWellKnownException(int id)
    {
        var entry = new TypeEntry(typeof(Exception), typeof(Exception).FullName!, TypeReferences.EncodeWellKnown(id, 0), new BoxedCodec<Exception>(ExceptionFieldCodec<Exception>.Instance), 0, null) { WellKnownId = id };
        WellKnown[id] = entry;
        ByType[typeof(Exception)] = entry;
    }

    private static void AddAlias(TypeEntry entry) =>
        ByAlias.AddOrUpdate(entry.Name, entry, (alias, existing) => existing.Type == entry.Type
            ? entry
            : throw new InvalidOperationException($"The wire alias '{alias}' is registered for '{existing.Type}' and cannot also name '{entry.Type}'; give one of them a different [Alias]."));

    private static IFieldCodec<T> Resolve<T>()
    {
        // Reaching this method ran the static constructor, so the built-ins are in the cache now.
        if (CodecCache<T>.Codec is { } cached)
        {
            return cached;
        }

        if (ByType.TryGetValue(typeof(T), out var entry) && entry.Codec is BoxedCodec<T> registered)
        {
            return CodecCache<T>.Codec = registered.Codec;
        }

        var codec = (IFieldCodec<T>?)CreateCodec(typeof(T));
        if (codec is null && DoesNotPinRuntimeType(typeof(T)))
        {
            codec = PolymorphicCodec<T>.Instance;
        }

        if (codec is null)
        {
            SerializationErrors.NoCodec(typeof(T));
        }

        return CodecCache<T>.Codec = codec;
    }

    /// <summary>A codec for a built-in shape, constructed once per closed type; null when the type has no such shape.</summary>
    private static object? CreateCodec(Type type)
    {
        Type? codecType = null;
        if (type.IsEnum)
        {
            codecType = typeof(EnumCodec<>).MakeGenericType(type);
        }
        else if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            codecType = typeof(NullableCodec<>).MakeGenericType(underlying);
        }
        else if (type.IsSZArray)
        {
            codecType = typeof(ArrayCodec<>).MakeGenericType(type.GetElementType()!);
        }
        else if (type.IsConstructedGenericType && ByType.TryGetValue(type.GetGenericTypeDefinition(), out var definition) && definition.CodecDefinition is { } codecDefinition)
        {
            codecType = codecDefinition.MakeGenericType(type.GetGenericArguments());
        }
        else if (type.IsInterface && typeof(IAddressable).IsAssignableFrom(type))
        {
            codecType = typeof(GrainReferenceCodec<>).MakeGenericType(type);
        }
        else if (typeof(Exception).IsAssignableFrom(type))
        {
            codecType = typeof(ExceptionFieldCodec<>).MakeGenericType(type);
        }

        return codecType is null ? null : Unwrap(() => Activator.CreateInstance(codecType));
    }

    private static bool DoesNotPinRuntimeType(Type type) =>
        type == typeof(object) || type.IsInterface || type.IsAbstract || (type.IsClass && !type.IsSealed && !type.IsArray);

    /// <summary>An entry for a runtime type that was not registered itself: arrays and closed generics of allowed types, exceptions.</summary>
    private static TypeEntry CreateRuntimeEntry(Type type)
    {
        byte[] reference;
        if (type.IsSZArray && ByType.TryGetValue(typeof(Array), out var array))
        {
            reference = TypeReferences.Concat(array.Reference, [GetEntry(type.GetElementType()!)]);
        }
        else if (type.IsConstructedGenericType && ByType.TryGetValue(type.GetGenericTypeDefinition(), out var definition) && definition.CodecDefinition is not null)
        {
            reference = TypeReferences.Concat(definition.Reference, Array.ConvertAll(type.GetGenericArguments(), GetEntry));
        }
        else if (typeof(Exception).IsAssignableFrom(type) && ByType.TryGetValue(typeof(Exception), out var exception))
        {
            return exception;
        }
        else
        {
            throw new SerializationException(
                $"Cannot send a value of type '{type}' as an object: the type is not allowed on the wire. Mark it [GenerateSerializer] (or register a codec with TypeManifest.Register) so peers can read it.");
        }

        return (TypeEntry)Unwrap(() => CreateEntryMethod.MakeGenericMethod(type).Invoke(null, [reference]))!;
    }

    private static TypeEntry CreateEntry<T>(byte[] reference) =>
        new(typeof(T), typeof(T).ToString(), reference, new BoxedCodec<T>(GetCodec<T>()), 0, null);

    /// <summary>Runs reflection, surfacing the exception a constructor or method threw rather than its wrapper.</summary>
    private static object? Unwrap(Func<object?> invoke)
    {
        try
        {
            return invoke();
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static class CodecCache<T>
    {
        public static IFieldCodec<T>? Codec;
    }
}

/// <summary>What the manifest knows of one type: its name, its encoded type reference, and its codec (none for generic definitions).</summary>
internal sealed class TypeEntry(Type type, string name, byte[] reference, IBoxedCodec? codec, int arity, Type? codecDefinition)
{
    public Type Type { get; } = type;

    public string Name { get; } = name;

    /// <summary>The complete type reference as written on the wire.</summary>
    public byte[] Reference { get; } = reference;

    public IBoxedCodec? Codec { get; } = codec;

    /// <summary>Generic definitions: how many type references follow this one's head.</summary>
    public int Arity { get; } = arity;

    public Type? CodecDefinition { get; } = codecDefinition;

    /// <summary>Nonzero for built-ins referenced by number.</summary>
    public int WellKnownId { get; init; }
}
