using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Agents.Invocation;

namespace Agents.Serialization;

/*
 * Deep copies for local calls: a caller and a callee on one silo must never share a mutable
 * object, or the callee could change the caller's data mid-flight (and vice versa).
 *
 * Generated code knows most static types and calls the typed helpers directly (CopyList with an
 * element copier, a generated copier for a [GenerateSerializer] type), so the common path is
 * reflection-free. Copy<T> handles the rest by the value's runtime type: the first value of a type
 * resolves a strategy (reflection, once), later ones hit a dictionary. The rules for what is
 * immutable mirror the generator's CopyClassifier; keep the two in step.
 *
 * Limits: copies are trees. A shared object reached twice is copied twice, and a cycle recurses
 * until the stack overflows, so argument graphs with cycles must be [Immutable] or restructured.
 */

/// <summary>
/// Deep-copies argument and result values for local grain calls. Immutable values (primitives,
/// strings, records, <see cref="ImmutableAttribute"/> types, immutable collections, grain
/// references, structs of immutable fields) are returned as they are; arrays, <see cref="List{T}"/>,
/// <see cref="Dictionary{TKey, TValue}"/> and <see cref="HashSet{T}"/> are copied element-wise;
/// any other type needs a copier, generated for <see cref="GenerateSerializerAttribute"/> types
/// or registered with <see cref="Register{T}"/>.
/// </summary>
public static class DeepCopier
{
    // Registered copiers win over every built-in rule.
    private static readonly ConcurrentDictionary<Type, Func<object, object>> Registered = new();

    // Resolved strategy per runtime type; a null strategy means "share by reference".
    private static readonly ConcurrentDictionary<Type, Func<object, object>?> Strategies = new();

    private static readonly ConcurrentDictionary<Type, bool> ImmutableTypes = new();

    private static readonly HashSet<Type> KnownImmutable =
    [
        typeof(object), typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(Guid), typeof(Uri), typeof(Version), typeof(DateOnly), typeof(TimeOnly), typeof(Half), typeof(Int128),
        typeof(UInt128), typeof(Index), typeof(Range), typeof(System.Text.Rune), typeof(System.Numerics.BigInteger),
        typeof(System.Numerics.Complex), typeof(CancellationToken), typeof(DBNull),
        typeof(GrainId), typeof(GrainType), typeof(Streams.StreamId), typeof(NoResult),
    ];

    /// <summary>
    /// Registers the copier for values whose runtime type is exactly <typeparamref name="T"/>.
    /// Generated manifests register one per mutable [GenerateSerializer] type; call it yourself
    /// for a mutable type you cannot annotate. The copier never receives null. Registering the
    /// same type again replaces the copier; register before the first call that copies the type.
    /// </summary>
    public static void Register<T>(Func<T, T> copier)
    {
        ArgumentNullException.ThrowIfNull(copier);
        Func<object, object> boxed = value => copier((T)value)!;
        Registered[typeof(T)] = boxed;
        Strategies[typeof(T)] = boxed;
        ImmutableTypes.TryRemove(typeof(T), out _);
    }

    /// <summary>
    /// A deep copy of <paramref name="value"/>, by its runtime type: the value itself when it is
    /// null or immutable, an element-wise copy for arrays and the standard collections, the
    /// registered copier otherwise.
    /// </summary>
    /// <exception cref="NotSupportedException">The runtime type is mutable and has no copier.</exception>
    [return: NotNullIfNotNull(nameof(value))]
    public static T Copy<T>(T value)
    {
        if (value is null || Traits<T>.IsShared)
        {
            return value;
        }

        var strategy = GetStrategy(value.GetType());
        return strategy is null ? value : (T)strategy(value);
    }

    /// <summary>A copy of <paramref name="array"/> with each element deep-copied.</summary>
    [return: NotNullIfNotNull(nameof(array))]
    public static T[]? CopyArray<T>(T[]? array) => CopyArray(array, Traits<T>.ElementCopier);

    /// <summary>
    /// A copy of <paramref name="array"/> with each element passed through <paramref name="copyElement"/>,
    /// or shared when it is null (the elements are immutable). Generated code passes the element copier it chose statically.
    /// </summary>
    [return: NotNullIfNotNull(nameof(array))]
    public static T[]? CopyArray<T>(T[]? array, Func<T, T>? copyElement)
    {
        if (array is null || array.Length == 0)
        {
            return array;
        }

        // Clone keeps the runtime element type of a covariant array (a string[] passed as object[]).
        var copy = (T[])array.Clone();
        if (copyElement is not null)
        {
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = copyElement(copy[i]);
            }
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="list"/> with each element deep-copied.</summary>
    [return: NotNullIfNotNull(nameof(list))]
    public static List<T>? CopyList<T>(List<T>? list) => CopyList(list, Traits<T>.ElementCopier);

    /// <summary>A copy of <paramref name="list"/>; elements go through <paramref name="copyElement"/>, or are shared when it is null.</summary>
    [return: NotNullIfNotNull(nameof(list))]
    public static List<T>? CopyList<T>(List<T>? list, Func<T, T>? copyElement)
    {
        if (list is null)
        {
            return null;
        }

        if (list.GetType() != typeof(List<T>))
        {
            return (List<T>)CopyByRuntimeType(list);
        }

        if (copyElement is null)
        {
            return new List<T>(list);
        }

        var copy = new List<T>(list.Count);
        foreach (var item in CollectionsMarshal.AsSpan(list))
        {
            copy.Add(copyElement(item));
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="set"/>, with the same comparer and each element deep-copied.</summary>
    [return: NotNullIfNotNull(nameof(set))]
    public static HashSet<T>? CopyHashSet<T>(HashSet<T>? set) => CopyHashSet(set, Traits<T>.ElementCopier);

    /// <summary>A copy of <paramref name="set"/> with the same comparer; elements go through <paramref name="copyElement"/>, or are shared when it is null.</summary>
    [return: NotNullIfNotNull(nameof(set))]
    public static HashSet<T>? CopyHashSet<T>(HashSet<T>? set, Func<T, T>? copyElement)
    {
        if (set is null)
        {
            return null;
        }

        if (set.GetType() != typeof(HashSet<T>))
        {
            return (HashSet<T>)CopyByRuntimeType(set);
        }

        if (copyElement is null)
        {
            return new HashSet<T>(set, set.Comparer);
        }

        var copy = new HashSet<T>(set.Count, set.Comparer);
        foreach (var item in set)
        {
            copy.Add(copyElement(item));
        }

        return copy;
    }

    /// <summary>A copy of <paramref name="dictionary"/>, with the same comparer and each key and value deep-copied.</summary>
    [return: NotNullIfNotNull(nameof(dictionary))]
    public static Dictionary<TKey, TValue>? CopyDictionary<TKey, TValue>(Dictionary<TKey, TValue>? dictionary)
        where TKey : notnull =>
        CopyDictionary(dictionary, Traits<TKey>.ElementCopier, Traits<TValue>.ElementCopier);

    /// <summary>
    /// A copy of <paramref name="dictionary"/> with the same comparer; keys and values go through
    /// <paramref name="copyKey"/> and <paramref name="copyValue"/>, or are shared when those are null.
    /// </summary>
    [return: NotNullIfNotNull(nameof(dictionary))]
    public static Dictionary<TKey, TValue>? CopyDictionary<TKey, TValue>(
        Dictionary<TKey, TValue>? dictionary,
        Func<TKey, TKey>? copyKey,
        Func<TValue, TValue>? copyValue)
        where TKey : notnull
    {
        if (dictionary is null)
        {
            return null;
        }

        if (dictionary.GetType() != typeof(Dictionary<TKey, TValue>))
        {
            return (Dictionary<TKey, TValue>)CopyByRuntimeType(dictionary);
        }

        if (copyKey is null && copyValue is null)
        {
            return new Dictionary<TKey, TValue>(dictionary, dictionary.Comparer);
        }

        var copy = new Dictionary<TKey, TValue>(dictionary.Count, dictionary.Comparer);
        foreach (var (key, value) in dictionary)
        {
            copy.Add(copyKey is null ? key : copyKey(key), copyValue is null ? value : copyValue(value));
        }

        return copy;
    }

    private static object CopyByRuntimeType(object value)
    {
        var strategy = GetStrategy(value.GetType());
        return strategy is null ? value : strategy(value);
    }

    private static Func<object, object>? GetStrategy(Type type)
    {
        if (Strategies.TryGetValue(type, out var strategy))
        {
            return strategy;
        }

        // Resolve throws for an unknown mutable type; failures are not cached, so a copier
        // registered later (e.g. by a manifest loaded late) still takes effect.
        return Strategies.GetOrAdd(type, Resolve(type));
    }

    private static Func<object, object>? Resolve(Type type)
    {
        if (Registered.TryGetValue(type, out var registered))
        {
            return registered;
        }

        if (IsImmutable(type))
        {
            return null;
        }

        if (type.IsArray)
        {
            return CopyArrayByRuntimeType;
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var helper = definition == typeof(List<>) ? nameof(CopyBoxedList)
                : definition == typeof(HashSet<>) ? nameof(CopyBoxedHashSet)
                : definition == typeof(Dictionary<,>) ? nameof(CopyBoxedDictionary)
                : null;
            if (helper is not null)
            {
                return Bind(helper, type.GetGenericArguments());
            }
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(System.Collections.ObjectModel.ReadOnlyCollection<>))
        {
            // A view over a list its owner may still change: always a new view over copied elements.
            return Bind(nameof(CopyBoxedReadOnlyCollection), type.GetGenericArguments());
        }

        if (SynthesizedReadOnlyElement(type) is { } element)
        {
            // What [.. items] builds for IEnumerable<T>/IReadOnlyList<T>: nothing can change it, so it is
            // shared when its elements are immutable, else copied into an array, which fits every interface
            // such a value is handed out as.
            return (element.IsValueType || element.IsSealed) && IsImmutable(element) ? null : Bind(nameof(CopyBoxedReadOnlyList), [element]);
        }

        throw new NotSupportedException(
            $"A value of type '{type}' cannot be copied for a local grain call: the type is mutable and has no copier. " +
            $"Mark it [GenerateSerializer] (its assembly's generated manifest registers the copier) or [Immutable], " +
            $"or register a copier with {nameof(DeepCopier)}.{nameof(Register)}.");
    }

    private static object CopyBoxedList<T>(object list) => CopyList((List<T>)list, Traits<T>.ElementCopier);

    private static object CopyBoxedReadOnlyList<T>(object list) => CopyElements((IReadOnlyList<T>)list);

    private static object CopyBoxedReadOnlyCollection<T>(object collection) =>
        new System.Collections.ObjectModel.ReadOnlyCollection<T>(CopyElements((System.Collections.ObjectModel.ReadOnlyCollection<T>)collection));

    private static T[] CopyElements<T>(IReadOnlyList<T> items)
    {
        var copy = new T[items.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Copy(items[i]);
        }

        return copy;
    }

    /// <summary>The element type of a compiler-built read-only collection (<c>&lt;&gt;z__ReadOnlyArray</c>, <c>&lt;&gt;z__ReadOnlyList</c>, ...), or null.</summary>
    private static Type? SynthesizedReadOnlyElement(Type type) =>
        type.Name.StartsWith("<>z__ReadOnly", StringComparison.Ordinal) && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false)
            ? type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))?.GetGenericArguments()[0]
            : null;

    /// <summary>A typed copy helper bound once per closed type, so later copies are direct calls.</summary>
    private static Func<object, object> Bind(string helper, Type[] typeArguments) =>
        typeof(DeepCopier).GetMethod(helper, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeArguments)
            .CreateDelegate<Func<object, object>>();

    private static object CopyBoxedHashSet<T>(object set) => CopyHashSet((HashSet<T>)set, Traits<T>.ElementCopier);

    private static object CopyBoxedDictionary<TKey, TValue>(object dictionary)
        where TKey : notnull =>
        CopyDictionary((Dictionary<TKey, TValue>)dictionary, Traits<TKey>.ElementCopier, Traits<TValue>.ElementCopier);

    private static object CopyArrayByRuntimeType(object value)
    {
        var array = (Array)value;
        var copy = (Array)array.Clone();
        var elementType = array.GetType().GetElementType()!;
        if ((elementType.IsValueType || elementType.IsSealed) && IsImmutable(elementType))
        {
            return copy;
        }

        // Arrays of a reference type are object[] by covariance: copy each element by its runtime type.
        if (copy is object?[] items)
        {
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = Copy(items[i]);
            }

            return copy;
        }

        // Multi-dimensional arrays and arrays of mutable structs: boxed and slow, but rare.
        var lengths = new int[copy.Rank];
        var lowerBounds = new int[copy.Rank];
        for (var d = 0; d < copy.Rank; d++)
        {
            lengths[d] = copy.GetLength(d);
            lowerBounds[d] = copy.GetLowerBound(d);
        }

        var indices = new int[copy.Rank];
        for (long flat = 0; flat < copy.LongLength; flat++)
        {
            var rest = flat;
            for (var d = copy.Rank - 1; d >= 0; d--)
            {
                indices[d] = lowerBounds[d] + (int)(rest % lengths[d]);
                rest /= lengths[d];
            }

            copy.SetValue(Copy(copy.GetValue(indices)), indices);
        }

        return copy;
    }

    /// <summary>Whether values of <paramref name="type"/> may be shared between caller and callee.</summary>
    private static bool IsImmutable(Type type) => ImmutableTypes.GetOrAdd(type, ComputeIsImmutable);

    private static bool ComputeIsImmutable(Type type)
    {
        if (Registered.ContainsKey(type))
        {
            return false;
        }

        if (type.IsPrimitive || type.IsEnum || type.IsPointer || KnownImmutable.Contains(type) || typeof(Type).IsAssignableFrom(type))
        {
            return true;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return IsImmutable(underlying);
        }

        if (type.IsDefined(typeof(ImmutableAttribute), inherit: true)
            || type.Namespace == "System.Collections.Immutable"
            || typeof(GrainReference).IsAssignableFrom(type)
            || IsRecord(type))
        {
            return true;
        }

        if (type.IsGenericType && IsTupleOrPair(type.GetGenericTypeDefinition()))
        {
            return type.GetGenericArguments().All(IsImmutable);
        }

        // A struct is copied whenever it is passed; it is safe to share if nothing it holds is mutable.
        return type.IsValueType
            && type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).All(f => IsImmutable(f.FieldType));
    }

    private static bool IsRecord(Type type)
    {
        // The compiler gives record classes a "<Clone>$" method and record structs a generated PrintMembers.
        if (!type.IsValueType)
        {
            return type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null;
        }

        var printMembers = type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance, [typeof(System.Text.StringBuilder)]);
        return printMembers is not null && printMembers.IsDefined(typeof(CompilerGeneratedAttribute));
    }

    private static bool IsTupleOrPair(Type definition) =>
        definition == typeof(KeyValuePair<,>)
        || (definition.Namespace == "System" && definition.Name.StartsWith("Tuple`", StringComparison.Ordinal))
        || (definition.Namespace == "System" && definition.Name.StartsWith("ValueTuple`", StringComparison.Ordinal));

    /// <summary>What <see cref="Copy{T}"/> may skip for a static type, decided once per type.</summary>
    private static class Traits<T>
    {
        // Only a value type or a sealed type pins the runtime type; otherwise each value is dispatched.
        public static readonly bool IsShared = (typeof(T).IsValueType || typeof(T).IsSealed) && IsImmutable(typeof(T));

        /// <summary>The element copier collection helpers use: none when elements are shared.</summary>
        public static readonly Func<T, T>? ElementCopier = IsShared ? null : Copy;
    }
}
