using System.Collections.Generic;
using System.Linq;
using Agents.CodeGeneration.Model;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Copying;

/// <summary>
/// Plans the deep copier of a mutable [GenerateSerializer] type: how to create the copy and how
/// to read and write each <c>[Id]</c> member. Members generated code cannot reach directly
/// (private, readonly, init-only after construction) go through <c>UnsafeAccessor</c> refs to
/// the field or the auto-property's backing field, so the copier needs no reflection.
/// </summary>
internal static class CopierPlanner
{
    /// <summary>Why no copier can be generated for <paramref name="type"/>, or null if one can (structure only).</summary>
    public static string? FailureReason(INamedTypeSymbol type, KnownTypes known) => Analyze(type, known, classifier: null, out _);

    /// <summary>The copier of <paramref name="type"/>, or null with <paramref name="failure"/> set.</summary>
    public static CopierModel? Plan(INamedTypeSymbol type, CopyClassifier classifier, out string? failure)
    {
        failure = Analyze(type, classifier.Known, classifier, out var model);
        return model;
    }

    private static string? Analyze(INamedTypeSymbol type, KnownTypes known, CopyClassifier? classifier, out CopierModel? model)
    {
        model = null;
        if (Identifiers.IsGenericOrInGeneric(type))
        {
            return "generic types get no generated copier yet; mark the type [Immutable] or use a non-generic type";
        }

        if (type.IsRefLikeType)
        {
            return "ref structs cannot be copied";
        }

        var isStruct = type.IsValueType;
        var construction = isStruct ? CopierConstruction.StructAssignment : ChooseConstruction(type);
        if (construction == CopierConstruction.PrivateConstructor && !known.HasUnsafeAccessor)
        {
            return "its parameterless constructor is not accessible, and reaching it needs UnsafeAccessor (.NET 8 or later)";
        }

        // The structural check (no classifier) still needs to know which struct members are mutable.
        var checker = classifier ?? new CopyClassifier(known);
        var members = new List<CopierMemberModel>();
        foreach (var member in CopiedMembers(type, construction))
        {
            var failure = PlanMember(member, construction, known, checker, emitCopies: classifier is not null, members);
            if (failure is not null)
            {
                return failure;
            }
        }

        model = new CopierModel(
            Identifiers.TypeWithoutAnnotation(type),
            CopyClassifier.CopierMethodName(type),
            isStruct,
            type.IsSealed || isStruct,
            construction,
            members.ToEquatableArray());
        return null;
    }

    private static CopierConstruction ChooseConstruction(INamedTypeSymbol type)
    {
        var constructor = type.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 0);
        if (constructor is null)
        {
            return CopierConstruction.Uninitialized;
        }

        return IsAccessible(constructor) ? CopierConstruction.New : CopierConstruction.PrivateConstructor;
    }

    /// <summary>
    /// The [Id] members of the type and its base types, in id order; with <c>new T { ... }</c>,
    /// also the <c>required</c> members, which the object initializer must set.
    /// </summary>
    private static IEnumerable<ISymbol> CopiedMembers(INamedTypeSymbol type, CopierConstruction construction)
    {
        var members = new List<(uint Id, int Order, ISymbol Member)>();
        var order = 0;
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member is not (IFieldSymbol or IPropertySymbol { IsIndexer: false }) || member.IsImplicitlyDeclared)
                {
                    continue;
                }

                var id = Identifiers.FindAttribute(member, KnownTypes.IdAttribute);
                var required = member is IFieldSymbol { IsRequired: true } or IPropertySymbol { IsRequired: true };
                if (id is not null || (required && construction == CopierConstruction.New))
                {
                    var value = id?.ConstructorArguments.FirstOrDefault().Value is uint n ? n : uint.MaxValue;
                    members.Add((value, order++, member));
                }
            }
        }

        return members.OrderBy(m => m.Id).ThenBy(m => m.Order).Select(m => m.Member);
    }

    private static string? PlanMember(ISymbol member, CopierConstruction construction, KnownTypes known, CopyClassifier classifier, bool emitCopies, List<CopierMemberModel> members)
    {
        var memberType = member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type;
        var needsCopy = !Identifiers.HasAttribute(member, KnownTypes.ImmutableAttribute)
            && !classifier.IsImmutable(memberType);

        // A struct copy already carries every field; only members that need a deep copy are rewritten.
        if (construction == CopierConstruction.StructAssignment && !needsCopy)
        {
            return null;
        }

        var copy = needsCopy && emitCopies ? classifier.CopyExpression(memberType, out _) : null;

        var access = ChooseAccess(member, construction, out var fieldName);
        if (access is null)
        {
            return $"property '{member.Name}' is neither settable by generated code nor an auto-property; make it settable, init-only on a type with an accessible parameterless constructor, or an auto-property";
        }

        if (access == MemberAccess.FieldAccessor && !known.HasUnsafeAccessor)
        {
            return $"member '{member.Name}' is not writable by generated code, and reaching it needs UnsafeAccessor (.NET 8 or later)";
        }

        members.Add(new CopierMemberModel(
            Identifiers.Escape(member.Name),
            Identifiers.Type(memberType),
            access.Value,
            fieldName,
            Identifiers.TypeWithoutAnnotation(member.ContainingType),
            copy));
        return null;
    }

    private static MemberAccess? ChooseAccess(ISymbol member, CopierConstruction construction, out string? fieldName)
    {
        fieldName = null;
        if (member is IFieldSymbol field)
        {
            if (IsAccessible(field) && !field.IsReadOnly)
            {
                return construction == CopierConstruction.New ? MemberAccess.Initializer : MemberAccess.Assignment;
            }

            fieldName = field.Name;
            return MemberAccess.FieldAccessor;
        }

        var property = (IPropertySymbol)member;
        var readable = property.GetMethod is { } getter && IsAccessible(getter);
        var setter = property.SetMethod;
        if (readable && setter is not null && IsAccessible(setter))
        {
            if (construction == CopierConstruction.New)
            {
                return MemberAccess.Initializer;
            }

            if (!setter.IsInitOnly)
            {
                return MemberAccess.Assignment;
            }
        }

        var backingField = property.ContainingType.GetMembers().OfType<IFieldSymbol>()
            .FirstOrDefault(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));
        if (backingField is null)
        {
            return null;
        }

        fieldName = backingField.Name;
        return MemberAccess.FieldAccessor;
    }

    private static bool IsAccessible(ISymbol symbol) =>
        symbol.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
}
