using System.Collections.Generic;
using System.Linq;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Model;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Copying;

/// <summary>
/// Decides, per type, whether a local call may pass a value by reference or must deep-copy it,
/// and writes the copy expression (docs/codegen.md, "Copying"). The runtime twin of these rules
/// is <c>DeepCopier</c>; the two agree on what is immutable, and wherever this class cannot
/// decide statically (<c>object</c>, interfaces, abstract classes) it defers to
/// <c>DeepCopier.Copy</c>, which decides by the runtime type.
/// </summary>
internal sealed class CopyClassifier
{
    /// <summary>Stands for the value being copied in a copy expression.</summary>
    public const string Placeholder = "{0}";

    private const string DeepCopier = "global::Agents.Serialization.DeepCopier";

    // Framework and Agents types that are immutable but not recognizable by shape.
    private static readonly HashSet<string> ImmutableTypeNames = new()
    {
        "System.DateTimeOffset", "System.TimeSpan", "System.Guid", "System.Uri", "System.Version",
        "System.DateOnly", "System.TimeOnly", "System.Half", "System.Int128", "System.UInt128",
        "System.Index", "System.Range", "System.Type", "System.DBNull", "System.Text.Rune",
        "System.Numerics.BigInteger", "System.Numerics.Complex", "System.Threading.CancellationToken",
        "Agents.GrainId", "Agents.GrainType", "Agents.Streams.StreamId", "Agents.Invocation.NoResult",
    };

    private readonly KnownTypes _known;
    private readonly Dictionary<ITypeSymbol, bool> _immutable = new(SymbolEqualityComparer.Default);

    public CopyClassifier(KnownTypes known) => _known = known;

    public KnownTypes Known => _known;

    /// <summary>The generated class that holds this assembly's copiers.</summary>
    public string CopiersClass => "global::Agents.Generated." + _known.AssemblyIdentifier + "Copiers";

    /// <summary>
    /// The expression that deep-copies a value of <paramref name="type"/> (with
    /// <see cref="Placeholder"/> for the value), or null when the value is passed by reference.
    /// <paramref name="unsupported"/> is the first mutable type found that has no copier.
    /// </summary>
    public string? CopyExpression(ITypeSymbol type, out ITypeSymbol? unsupported)
    {
        unsupported = null;
        return Build(type, Placeholder, 0, ref unsupported);
    }

    /// <summary>Whether values of <paramref name="type"/> can be shared between caller and callee.</summary>
    public bool IsImmutable(ITypeSymbol type)
    {
        if (_immutable.TryGetValue(type, out var cached))
        {
            return cached;
        }

        // Assume immutable while visiting, so a struct that contains itself through a nullable
        // or a reference type ends the recursion; the final answer replaces the assumption.
        _immutable[type] = true;
        var result = ComputeIsImmutable(type);
        _immutable[type] = result;
        return result;
    }

    /// <summary>The generated copier method for a [GenerateSerializer] type of this assembly.</summary>
    public static string CopierMethodName(INamedTypeSymbol type) =>
        "Copy_" + Identifiers.FlatName(type) + "_" + Fnv1a.Hash(StableIds.TypeName(type)).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsGenerateSerializer(ITypeSymbol type) =>
        Identifiers.HasAttribute(type.OriginalDefinition, KnownTypes.GenerateSerializerAttribute);

    /// <summary>Types whose copy is decided at run time by the value's actual type.</summary>
    public static bool IsCopiedByRuntimeType(ITypeSymbol type) =>
        type.SpecialType == SpecialType.System_Object
        || type is IDynamicTypeSymbol or ITypeParameterSymbol
        || type.TypeKind == TypeKind.Interface
        || (type.TypeKind == TypeKind.Class && type.IsAbstract);

    private string? Build(ITypeSymbol type, string value, int depth, ref ITypeSymbol? unsupported)
    {
        if (IsImmutable(type))
        {
            return null;
        }

        switch (type)
        {
            case IArrayTypeSymbol { IsSZArray: true } array:
                return $"{DeepCopier}.CopyArray({value}, copyElement: {ElementCopy(array.ElementType, depth, ref unsupported)})";
            case IArrayTypeSymbol array:
                // Multi-dimensional arrays are rare: DeepCopier copies them by runtime type.
                Build(array.ElementType, "_", depth + 1, ref unsupported);
                return Runtime(value);
            case INamedTypeSymbol named when _known.Is(named, _known.List):
                return $"{DeepCopier}.CopyList({value}, copyElement: {ElementCopy(named.TypeArguments[0], depth, ref unsupported)})";
            case INamedTypeSymbol named when _known.Is(named, _known.HashSet):
                return $"{DeepCopier}.CopyHashSet({value}, copyElement: {ElementCopy(named.TypeArguments[0], depth, ref unsupported)})";
            case INamedTypeSymbol named when _known.Is(named, _known.Dictionary):
                var copyKey = ElementCopy(named.TypeArguments[0], depth, ref unsupported);
                var copyValue = ElementCopy(named.TypeArguments[1], depth, ref unsupported);
                return $"{DeepCopier}.CopyDictionary({value}, copyKey: {copyKey}, copyValue: {copyValue})";
            case INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable:
                Build(nullable.TypeArguments[0], "_", depth + 1, ref unsupported);
                return Runtime(value);
            case INamedTypeSymbol named when IsCopiedByRuntimeType(named):
                return Runtime(value);
            case INamedTypeSymbol named when IsGenerateSerializer(named):
                return HasGeneratedCopier(named) ? $"{CopiersClass}.{CopierMethodName(named)}({value})" : Runtime(value);
            case IDynamicTypeSymbol or ITypeParameterSymbol:
                return Runtime(value);
        }

        unsupported ??= type;
        return Runtime(value);
    }

    private string ElementCopy(ITypeSymbol element, int depth, ref ITypeSymbol? unsupported)
    {
        var parameter = "e" + depth.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var copy = Build(element, parameter, depth + 1, ref unsupported);
        return copy is null ? "null" : parameter + " => " + copy;
    }

    private static string Runtime(string value) => $"{DeepCopier}.Copy({value})";

    /// <summary>A copier is emitted into this assembly's copier class for the type (see <see cref="CopierPlanner"/>).</summary>
    private bool HasGeneratedCopier(INamedTypeSymbol type) =>
        SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _known.Compilation.Assembly)
        && Identifiers.IsAccessibleToGeneratedCode(type)
        && CopierPlanner.FailureReason(type, _known) is null;

    private bool ComputeIsImmutable(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Error || type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
            case SpecialType.System_Char:
            case SpecialType.System_SByte:
            case SpecialType.System_Byte:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Int64:
            case SpecialType.System_UInt64:
            case SpecialType.System_Decimal:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_String:
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
            case SpecialType.System_DateTime:
                return true;
        }

        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return IsImmutable(named.TypeArguments[0]);
        }

        var name = named.OriginalDefinition.ToDisplayString();
        if (ImmutableTypeNames.Contains(name)
            || named.IsRecord
            || HasImmutableAttribute(named)
            || named.ContainingNamespace?.ToDisplayString() == "System.Collections.Immutable"
            || IsGrainReferenceType(named))
        {
            return true;
        }

        // Tuples and pairs hold what they were built with; they are as immutable as their parts.
        if (name.StartsWith("System.Tuple<", System.StringComparison.Ordinal)
            || name.StartsWith("System.ValueTuple<", System.StringComparison.Ordinal)
            || name == "System.Collections.Generic.KeyValuePair<TKey, TValue>")
        {
            return named.TypeArguments.All(IsImmutable);
        }

        // A struct is copied whenever it is passed; it is safe to share if nothing it holds is mutable.
        if (named.TypeKind == TypeKind.Struct && !named.IsRefLikeType)
        {
            return named.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst).All(f => IsImmutable(f.Type));
        }

        return false;
    }

    private static bool HasImmutableAttribute(INamedTypeSymbol type)
    {
        // [Immutable] is inherited (its AttributeUsage leaves Inherited at true), as at run time.
        for (var current = type.OriginalDefinition; current is not null; current = current.BaseType)
        {
            if (Identifiers.HasAttribute(current, KnownTypes.ImmutableAttribute))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsGrainReferenceType(INamedTypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Interface)
        {
            return _known.Is(type, _known.Addressable) || type.AllInterfaces.Any(i => _known.Is(i, _known.Addressable));
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (_known.Is(current, _known.GrainReference))
            {
                return true;
            }
        }

        return false;
    }
}
