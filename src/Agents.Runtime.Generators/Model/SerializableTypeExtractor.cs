using System.Linq;
using System.Threading;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Diagnostics;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Serialization;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Model;

/// <summary>
/// Describes a [GenerateSerializer] type: its alias for the wire allow-list, its codec (AGT0015,
/// AGT0016) and, when it is mutable, its deep copier (AGT0012, AGT0013). Records, enums,
/// [Immutable] types and structs of immutable members are shared, not copied, so they get no copier.
/// </summary>
internal static class SerializableTypeExtractor
{
    public static SerializableTypeResult? Extract(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type
            || KnownTypes.Create(context.SemanticModel.Compilation) is not { } known)
        {
            return null;
        }

        var name = Identifiers.ForMessage(type);
        var location = SourceLocations.Of(type);
        var bag = new DiagnosticBag();
        if (!Identifiers.IsAccessibleToGeneratedCode(type))
        {
            bag.Add(DiagnosticDescriptors.InaccessibleType, location, "[GenerateSerializer] type", name);
            return new SerializableTypeResult(bag.ToImmutable(), null);
        }

        var classifier = new CopyClassifier(known);
        CopierModel? copier = null;
        if (NeedsCopier(type, classifier))
        {
            copier = CopierPlanner.Plan(type, classifier, out var failure);
            if (failure is not null)
            {
                bag.Add(DiagnosticDescriptors.CopierNotGenerated, location, name, failure);
            }
        }

        var alias = Identifiers.Alias(type) ?? StableIds.TypeName(type);
        var typeOf = TypeOfExpression(type);
        var codecs = new CodecClassifier(known);
        var codec = PlanCodec(type, alias, typeOf, codecs, name, location, bag);
        return new SerializableTypeResult(
            bag.ToImmutable(),
            new SerializableTypeModel(typeOf, alias, copier, codec, ImpliedCodecs.Plan(codecs)));
    }

    /// <summary>The type's codec (AGT0015 when none can be generated; AGT0016 for members without a codec). Generic types get none yet.</summary>
    private static CodecModel? PlanCodec(INamedTypeSymbol type, string alias, string typeOf, CodecClassifier codecs, string name, Location? location, DiagnosticBag bag)
    {
        if (Identifiers.IsGenericOrInGeneric(type))
        {
            return null;
        }

        var codec = CodecPlanner.Plan(
            type,
            alias,
            typeOf,
            codecs,
            (member, unsupported) => bag.Add(
                DiagnosticDescriptors.TypeWithoutCodec,
                SourceLocations.Of(member.Symbol) ?? location,
                $"Member '{member.Symbol.Name}' of [GenerateSerializer] type '{name}'",
                Identifiers.ForMessage(member.Type),
                Identifiers.ForMessage(unsupported)),
            out var failure);
        if (failure is not null)
        {
            bag.Add(DiagnosticDescriptors.CodecNotGenerated, location, name, failure);
        }

        return codec;
    }

    private static bool NeedsCopier(INamedTypeSymbol type, CopyClassifier classifier) =>
        type.TypeKind is TypeKind.Class or TypeKind.Struct
        && !CopyClassifier.IsCopiedByRuntimeType(type)
        && !classifier.IsImmutable(type);

    /// <summary><c>typeof(global::N.T)</c>, or the open form <c>typeof(global::N.T&lt;,&gt;)</c> for a generic type.</summary>
    private static string TypeOfExpression(INamedTypeSymbol type)
    {
        if (type.ContainingType is not null && Identifiers.IsGenericOrInGeneric(type.ContainingType))
        {
            // typeof of a type nested in a generic type must open the outer type too; such types are
            // rare enough that they stay off the allow-list until the codec work needs them.
            return string.Empty;
        }

        var display = type.IsGenericType ? type.ConstructUnboundGenericType() : type;
        return "typeof(" + Identifiers.TypeWithoutAnnotation(display) + ")";
    }
}
