using System.Collections.Generic;
using System.Linq;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Model;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Serialization;

/// <summary>
/// Decides, per static type, which codec writes it (docs/codegen.md, "Codecs") and whether one
/// exists at all. The answers mirror <c>TypeManifest.GetCodec</c>: built-in codecs for primitives,
/// framework value types, enums, nullables, arrays and the standard collections; generated codecs
/// for [GenerateSerializer] types and for records this assembly's grain methods send; the
/// polymorphic codec where the runtime type decides (object, interfaces, abstract classes).
/// Records of this assembly found on the way are collected in <see cref="ImpliedRecords"/>, so
/// their codecs get generated.
/// </summary>
internal sealed class CodecClassifier
{
    public const string Serialization = "global::Agents.Serialization.";

    private static readonly Dictionary<string, string> FrameworkCodecs = new()
    {
        ["System.Guid"] = "GuidCodec",
        ["System.DateTimeOffset"] = "DateTimeOffsetCodec",
        ["System.TimeSpan"] = "TimeSpanCodec",
        ["System.DateOnly"] = "DateOnlyCodec",
        ["System.TimeOnly"] = "TimeOnlyCodec",
        ["Agents.GrainId"] = "GrainIdCodec",
        ["Agents.Invocation.NoResult"] = "NoResultCodec",
    };

    private readonly KnownTypes _known;
    private readonly Dictionary<ITypeSymbol, string?> _failures = new(SymbolEqualityComparer.Default);
    private readonly List<INamedTypeSymbol> _implied = new();
    private readonly HashSet<INamedTypeSymbol> _impliedSet = new(SymbolEqualityComparer.Default);

    public CodecClassifier(KnownTypes known) => _known = known;

    public KnownTypes Known => _known;

    /// <summary>The generated class that holds this assembly's codecs.</summary>
    public string CodecsClass => "global::Agents.Generated." + _known.AssemblyIdentifier + "Codecs";

    /// <summary>Records of this assembly without [GenerateSerializer] whose codecs the classified types need, in discovery order.</summary>
    public IReadOnlyList<INamedTypeSymbol> ImpliedRecords => _implied;

    /// <summary>
    /// The codec of <paramref name="type"/>. <paramref name="unsupported"/> is the first type found
    /// (the type itself, an element or type argument, or a member of a record it implies) that has
    /// no codec; values of it fail at run time unless a codec is registered by hand.
    /// </summary>
    public CodecRef Codec(ITypeSymbol type, out ITypeSymbol? unsupported)
    {
        unsupported = null;
        return Build(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default), ref unsupported);
    }

    /// <summary>Whether this assembly emits a codec class for <paramref name="type"/>.</summary>
    public bool HasGeneratedCodec(INamedTypeSymbol type) =>
        (CopyClassifier.IsGenerateSerializer(type) || IsImpliedRecord(type))
        && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _known.Compilation.Assembly)
        && Identifiers.IsAccessibleToGeneratedCode(type)
        && CodecPlanner.KindOf(type, _known) is CodecKind.Class or CodecKind.Struct
        && Failure(type) is null;

    /// <summary>A record declared in this assembly without [GenerateSerializer]: it gets a codec when a grain method or serializable type uses it.</summary>
    public bool IsImpliedRecord(INamedTypeSymbol type) =>
        type.IsRecord
        && !type.IsAbstract
        && !CopyClassifier.IsGenerateSerializer(type)
        && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _known.Compilation.Assembly)
        && Identifiers.IsAccessibleToGeneratedCode(type)
        && !Identifiers.IsGenericOrInGeneric(type)
        && HasSerializableShape(type);

    /// <summary>
    /// A record whose data a codec can carry: it has positional parameters or [Id] members, or no
    /// data at all. A nominal record with unmarked properties would silently travel empty, so it
    /// has no implied codec (and is reported where it is sent).
    /// </summary>
    private bool HasSerializableShape(INamedTypeSymbol type) =>
        CodecPlanner.SerializedMembers(type, CodecPlanner.KindOf(type, _known), _known).Any()
        || !type.GetMembers().Any(m => !m.IsStatic && !m.IsImplicitlyDeclared && m is IFieldSymbol or IPropertySymbol);

    private CodecRef Build(ITypeSymbol type, HashSet<ITypeSymbol> visiting, ref ITypeSymbol? unsupported)
    {
        var name = Identifiers.Type(type);
        if (Primitive(type) is { } primitive)
        {
            return Shared(Serialization + primitive);
        }

        if (type is IArrayTypeSymbol array)
        {
            if (array.IsSZArray && array.ElementType.SpecialType == SpecialType.System_Byte)
            {
                return Shared(Serialization + "ByteArrayCodec");
            }

            if (!array.IsSZArray)
            {
                unsupported ??= type;
                return Provided(name);
            }

            return Composite("ArrayCodec", visiting, ref unsupported, array.ElementType);
        }

        if (type is ITypeParameterSymbol or IDynamicTypeSymbol)
        {
            return Shared($"{Serialization}PolymorphicCodec<{name}>");
        }

        if (type is not INamedTypeSymbol named || type.TypeKind == TypeKind.Error)
        {
            unsupported ??= type;
            return Provided(name);
        }

        if (FrameworkCodecs.TryGetValue(named.OriginalDefinition.ToDisplayString(), out var framework))
        {
            return Shared(Serialization + framework);
        }

        if (named.TypeKind == TypeKind.Enum)
        {
            return Shared($"{Serialization}EnumCodec<{name}>");
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return Composite("NullableCodec", visiting, ref unsupported, named.TypeArguments[0]);
        }

        if (_known.Is(named, _known.ReadOnlyMemory) && named.TypeArguments[0].SpecialType == SpecialType.System_Byte)
        {
            return Shared(Serialization + "ReadOnlyMemoryCodec");
        }

        var collection = _known.Is(named, _known.List) ? "ListCodec"
            : _known.Is(named, _known.HashSet) ? "HashSetCodec"
            : _known.Is(named, _known.Dictionary) ? "DictionaryCodec"
            : _known.Is(named, _known.ImmutableArray) ? "ImmutableArrayCodec"
            : _known.Is(named, _known.KeyValuePair) ? "KeyValuePairCodec"
            : _known.Is(named, _known.ValueTuple2) || _known.Is(named, _known.ValueTuple3) ? "ValueTupleCodec"
            : null;
        if (collection is not null)
        {
            return Composite(collection, visiting, ref unsupported, named.TypeArguments.ToArray());
        }

        if (named.TypeKind == TypeKind.Interface && IsGrainInterface(named))
        {
            return Shared($"{Serialization}GrainReferenceCodec<{name}>");
        }

        if (_known.IsException(named))
        {
            return Shared($"{Serialization}ExceptionFieldCodec<{name}>");
        }

        if (HasGeneratedCodec(named))
        {
            if (IsImpliedRecord(named) && _impliedSet.Add(named))
            {
                _implied.Add(named);
            }

            if (IsImpliedRecord(named) && visiting.Add(named))
            {
                // An implied record reports nothing itself, so a member without a codec is reported where the record is used.
                CodecPlanner.Analyze(named, _known, out var members);
                foreach (var member in members)
                {
                    Build(member.Type, visiting, ref unsupported);
                }
            }

            return Shared($"{CodecsClass}.{CodecPlanner.ClassName(named)}.Instance");
        }

        if (named.SpecialType == SpecialType.System_Object || named.TypeKind == TypeKind.Interface || named.IsAbstract)
        {
            return Shared($"{Serialization}PolymorphicCodec<{name}>");
        }

        if (!CopyClassifier.IsGenerateSerializer(named) || Identifiers.IsGenericOrInGeneric(named))
        {
            // No codec is known here; one registered at run time (TypeManifest.Register) still works.
            unsupported ??= type;
        }

        // A [GenerateSerializer] type of another assembly: its manifest registers the codec.
        return Provided(name);
    }

    private CodecRef Composite(string codec, HashSet<ITypeSymbol> visiting, ref ITypeSymbol? unsupported, params ITypeSymbol[] arguments)
    {
        var parts = new List<CodecRef>(arguments.Length);
        foreach (var argument in arguments)
        {
            parts.Add(Build(argument, visiting, ref unsupported));
        }

        var type = $"{Serialization}{codec}<{string.Join(", ", arguments.Select(Identifiers.Type))}>";
        return new CodecRef(type, $"new {type}({string.Join(", ", parts.Select(p => p.Expression))})", IsShared: false);
    }

    private static CodecRef Shared(string codecOrInstance)
    {
        // A built-in codec named without ".Instance" is a sealed class with a static Instance.
        var expression = codecOrInstance.EndsWith(".Instance", System.StringComparison.Ordinal) ? codecOrInstance : codecOrInstance + ".Instance";
        return new CodecRef(expression.Substring(0, expression.Length - ".Instance".Length), expression, IsShared: true);
    }

    private static CodecRef Provided(string type) => Shared($"{Serialization}ProvidedCodec<{type}>");

    private string? Failure(INamedTypeSymbol type)
    {
        if (!_failures.TryGetValue(type, out var failure))
        {
            failure = CodecPlanner.Analyze(type, _known, out _);
            _failures[type] = failure;
        }

        return failure;
    }

    private bool IsGrainInterface(INamedTypeSymbol type) =>
        _known.Is(type, _known.Addressable) || type.AllInterfaces.Any(i => _known.Is(i, _known.Addressable));

    private static string? Primitive(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Boolean => "BooleanCodec",
        SpecialType.System_Char => "CharCodec",
        SpecialType.System_SByte => "SByteCodec",
        SpecialType.System_Byte => "ByteCodec",
        SpecialType.System_Int16 => "Int16Codec",
        SpecialType.System_UInt16 => "UInt16Codec",
        SpecialType.System_Int32 => "Int32Codec",
        SpecialType.System_UInt32 => "UInt32Codec",
        SpecialType.System_Int64 => "Int64Codec",
        SpecialType.System_UInt64 => "UInt64Codec",
        SpecialType.System_Single => "SingleCodec",
        SpecialType.System_Double => "DoubleCodec",
        SpecialType.System_Decimal => "DecimalCodec",
        SpecialType.System_String => "StringCodec",
        SpecialType.System_DateTime => "DateTimeCodec",
        SpecialType.System_Object => "ObjectCodec",
        _ => null,
    };
}
