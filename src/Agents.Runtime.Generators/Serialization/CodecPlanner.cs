using System;
using System.Collections.Generic;
using System.Linq;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Agents.CodeGeneration.Serialization;

/// <summary>
/// Plans the codec of a type (docs/codegen.md, "Codecs"): which members travel under which field
/// ids, how a reader constructs the object, and how it reads and writes each member. Members
/// generated code cannot reach (private, readonly, init-only, get-only auto-properties) go through
/// UnsafeAccessor refs, as in copiers, so codecs need no reflection.
/// </summary>
internal static class CodecPlanner
{
    /// <summary>A member a codec serializes.</summary>
    public readonly struct Member(uint id, ISymbol symbol, ITypeSymbol type)
    {
        public uint Id { get; } = id;

        public ISymbol Symbol { get; } = symbol;

        public ITypeSymbol Type { get; } = type;
    }

    public static CodecKind KindOf(INamedTypeSymbol type, KnownTypes known) =>
        type.TypeKind == TypeKind.Enum ? CodecKind.Enum
        : type.IsAbstract && type.TypeKind == TypeKind.Class ? CodecKind.Abstract
        : known.IsException(type) ? CodecKind.Exception
        : type.IsValueType ? CodecKind.Struct
        : CodecKind.Class;

    /// <summary>The generated codec class of a type of this assembly.</summary>
    public static string ClassName(INamedTypeSymbol type) =>
        "Codec_" + Identifiers.FlatName(type) + "_" + Fnv1a.Hash(StableIds.TypeName(type)).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The members of <paramref name="type"/> in field id order, or why no codec can be generated
    /// (structure only: a member of a type without a codec is not a failure, it is reported where used).
    /// </summary>
    public static string? Analyze(INamedTypeSymbol type, KnownTypes known, out List<Member> members)
    {
        members = new List<Member>();
        if (Identifiers.IsGenericOrInGeneric(type))
        {
            return "generic types get no generated codec yet";
        }

        if (type.IsRefLikeType)
        {
            return "ref structs cannot be serialized";
        }

        var kind = KindOf(type, known);
        if (kind is CodecKind.Enum or CodecKind.Abstract)
        {
            return null;
        }

        if (kind == CodecKind.Exception && ChooseExceptionConstructor(type) == ExceptionConstructor.None)
        {
            return "an exception type needs a public constructor (string message, Exception? innerException) or (string message)";
        }

        var seen = new Dictionary<uint, ISymbol>();
        foreach (var member in SerializedMembers(type, kind, known))
        {
            if (seen.TryGetValue(member.Id, out var first))
            {
                return $"members '{first.Name}' and '{member.Symbol.Name}' have the same field id {member.Id}; ids must be unique across the type and its base types";
            }

            seen.Add(member.Id, member.Symbol);
            var failure = AccessFailure(member.Symbol, known);
            if (failure is not null)
            {
                return failure;
            }

            members.Add(member);
        }

        members.Sort((a, b) => a.Id.CompareTo(b.Id));
        if (kind == CodecKind.Class && ChooseConstruction(type) == CodecConstruction.ConstructorAccessor && !known.HasUnsafeAccessor)
        {
            return "its parameterless constructor is not callable by generated code, and reaching it needs UnsafeAccessor (.NET 8 or later)";
        }

        return null;
    }

    /// <summary>The codec model of <paramref name="type"/>, or null with <paramref name="failure"/> set.</summary>
    public static CodecModel? Plan(
        INamedTypeSymbol type,
        string alias,
        string typeOfExpression,
        CodecClassifier classifier,
        Action<Member, ITypeSymbol>? reportUnsupported,
        out string? failure)
    {
        failure = Analyze(type, classifier.Known, out var members);
        if (failure is not null)
        {
            return null;
        }

        var kind = KindOf(type, classifier.Known);
        var models = new List<CodecMemberModel>(members.Count);
        foreach (var member in members)
        {
            var codec = classifier.Codec(member.Type, out var unsupported);
            if (unsupported is not null)
            {
                reportUnsupported?.Invoke(member, unsupported);
            }

            models.Add(MemberModel(member, codec));
        }

        return new CodecModel(
            Identifiers.TypeWithoutAnnotation(type),
            typeOfExpression,
            alias,
            ClassName(type),
            kind,
            type.IsSealed || type.IsValueType,
            kind == CodecKind.Struct ? CodecConstruction.Default : ChooseConstruction(type),
            kind == CodecKind.Exception ? ChooseExceptionConstructor(type) : ExceptionConstructor.None,
            models.ToEquatableArray());
    }

    /// <summary>
    /// The [Id] members of the type and its base types (up to <c>System.Exception</c> for exceptions),
    /// plus, for a positional record, its primary constructor's parameters: those without an [Id]
    /// (on the parameter or, with <c>property:</c>, on the property) take their position as id.
    /// </summary>
    public static IEnumerable<Member> SerializedMembers(INamedTypeSymbol type, CodecKind kind, KnownTypes known)
    {
        var members = new List<Member>();
        var included = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        for (var current = type; current is not null && !IsRoot(current, kind, known); current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || member is not (IFieldSymbol { IsConst: false } or IPropertySymbol { IsIndexer: false }))
                {
                    continue;
                }

                if (IdOf(member) is { } id && included.Add(member))
                {
                    members.Add(new Member(id, member, TypeOf(member)));
                }
            }
        }

        if (type.IsRecord && PrimaryConstructor(type) is { } constructor)
        {
            for (var i = 0; i < constructor.Parameters.Length; i++)
            {
                var parameter = constructor.Parameters[i];
                var property = FindProperty(type, parameter.Name);
                if (property is null || !included.Add(property))
                {
                    continue;
                }

                members.Add(new Member(IdOf(parameter) ?? IdOf(property) ?? (uint)i, property, property.Type));
            }
        }

        return members;
    }

    private static CodecMemberModel MemberModel(Member member, CodecRef codec)
    {
        var directGet = CanGet(member.Symbol);
        var directSet = CanSet(member.Symbol);
        return new CodecMemberModel(
            member.Id,
            Identifiers.Escape(member.Symbol.Name),
            Identifiers.Type(member.Type),
            Identifiers.TypeWithoutAnnotation(member.Symbol.ContainingType),
            directGet && directSet ? null : BackingField(member.Symbol)?.Name,
            directGet,
            directSet,
            codec);
    }

    private static string? AccessFailure(ISymbol member, KnownTypes known)
    {
        if (CanGet(member) && CanSet(member))
        {
            return null;
        }

        if (BackingField(member) is null)
        {
            return $"property '{member.Name}' is not settable by generated code and is not an auto-property; make it settable or an auto-property";
        }

        return known.HasUnsafeAccessor ? null : $"member '{member.Name}' is not writable by generated code, and reaching it needs UnsafeAccessor (.NET 8 or later)";
    }

    private static bool CanGet(ISymbol member) => member switch
    {
        IFieldSymbol field => IsAccessible(field),
        IPropertySymbol property => property.GetMethod is { } getter && IsAccessible(getter),
        _ => false,
    };

    private static bool CanSet(ISymbol member) => member switch
    {
        IFieldSymbol field => IsAccessible(field) && !field.IsReadOnly,
        IPropertySymbol property => property.SetMethod is { IsInitOnly: false } setter && IsAccessible(setter),
        _ => false,
    };

    private static IFieldSymbol? BackingField(ISymbol member) => member switch
    {
        IFieldSymbol field => field,
        IPropertySymbol property => property.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .FirstOrDefault(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property)),
        _ => null,
    };

    private static CodecConstruction ChooseConstruction(INamedTypeSymbol type)
    {
        var constructor = type.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 0);
        if (constructor is null)
        {
            return CodecConstruction.Uninitialized;
        }

        // `new T()` does not compile when T has required members the initializer does not set.
        return IsAccessible(constructor) && !HasRequiredMembers(type) ? CodecConstruction.New : CodecConstruction.ConstructorAccessor;
    }

    private static ExceptionConstructor ChooseExceptionConstructor(INamedTypeSymbol type)
    {
        var constructors = type.InstanceConstructors.Where(IsAccessible).ToList();
        if (constructors.Any(c => c.Parameters.Length == 2 && c.Parameters[0].Type.SpecialType == SpecialType.System_String && c.Parameters[1].Type.Name == "Exception"))
        {
            return ExceptionConstructor.MessageAndInner;
        }

        return constructors.Any(c => c.Parameters.Length == 1 && c.Parameters[0].Type.SpecialType == SpecialType.System_String)
            ? ExceptionConstructor.Message
            : ExceptionConstructor.None;
    }

    private static bool HasRequiredMembers(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.GetMembers().Any(m => m is IFieldSymbol { IsRequired: true } or IPropertySymbol { IsRequired: true }))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The constructor declared by the type's own parameter list (a record's positional parameters).</summary>
    private static IMethodSymbol? PrimaryConstructor(INamedTypeSymbol type) =>
        type.InstanceConstructors.FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax));

    private static IPropertySymbol? FindProperty(INamedTypeSymbol type, string name)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.GetMembers(name).OfType<IPropertySymbol>().FirstOrDefault(p => !p.IsStatic) is { } property)
            {
                return property;
            }
        }

        return null;
    }

    private static bool IsRoot(INamedTypeSymbol type, CodecKind kind, KnownTypes known) =>
        type.SpecialType is SpecialType.System_Object or SpecialType.System_ValueType
        || (kind == CodecKind.Exception && SymbolEqualityComparer.Default.Equals(type, known.Exception));

    private static uint? IdOf(ISymbol symbol) =>
        Identifiers.FindAttribute(symbol, KnownTypes.IdAttribute)?.ConstructorArguments.FirstOrDefault().Value is uint id ? id : null;

    private static ITypeSymbol TypeOf(ISymbol member) => member is IFieldSymbol field ? field.Type : ((IPropertySymbol)member).Type;

    private static bool IsAccessible(ISymbol symbol) =>
        symbol.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
}
