using System.Linq;
using System.Threading;
using Agents.CodeGeneration.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Agents.CodeGeneration.Model;

/// <summary>
/// Turns a class implementing grain interfaces into a <see cref="GrainClassModel"/>: the grain
/// interfaces it serves and how its single public constructor gets each argument (AGT0006, AGT0007).
/// </summary>
internal static class GrainClassExtractor
{
    public static bool IsCandidate(SyntaxNode node) =>
        node is ClassDeclarationSyntax { BaseList: not null } or RecordDeclarationSyntax { BaseList: not null, ClassOrStructKeyword.ValueText: not "struct" };

    public static GrainClassModel? Extract(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var node = (TypeDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(node, cancellationToken) is not INamedTypeSymbol type
            || type.TypeKind != TypeKind.Class
            || type.IsAbstract
            || type.IsStatic
            || !SyntaxSelection.IsPrimaryDeclaration(type, node)
            || KnownTypes.Create(context.SemanticModel.Compilation) is not { } known)
        {
            return null;
        }

        var interfaces = type.AllInterfaces.Where(known.IsKeyedGrainInterface).ToList();
        if (interfaces.Count == 0)
        {
            return null;
        }

        var name = Identifiers.ForMessage(type);
        var location = SourceLocations.Of(type);
        var bag = new DiagnosticBag();
        if (Identifiers.IsGenericOrInGeneric(type))
        {
            bag.Add(DiagnosticDescriptors.GenericGrain, location, "class", name);
            return new GrainClassModel(bag.ToImmutable(), null);
        }

        if (!Identifiers.IsAccessibleToGeneratedCode(type))
        {
            bag.Add(DiagnosticDescriptors.InaccessibleType, location, "Grain class", name);
            return new GrainClassModel(bag.ToImmutable(), null);
        }

        var constructors = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
        if (constructors.Count != 1)
        {
            bag.Add(DiagnosticDescriptors.ConstructorCount, location, name, constructors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return new GrainClassModel(bag.ToImmutable(), null);
        }

        var arguments = constructors[0].Parameters.Select(p => Argument(p, name, known, bag)).ToArray();
        if (bag.HasErrors || arguments.Any(a => a is null))
        {
            return new GrainClassModel(bag.ToImmutable(), null);
        }

        var factory = new GrainFactoryModel(
            Identifiers.TypeWithoutAnnotation(type),
            interfaces.Select(Identifiers.TypeWithoutAnnotation).ToEquatableArray(),
            arguments.Select(a => a!).ToEquatableArray());
        return new GrainClassModel(bag.ToImmutable(), factory);
    }

    private static ConstructorArgumentModel? Argument(IParameterSymbol parameter, string className, KnownTypes known, DiagnosticBag bag)
    {
        var type = parameter.Type;
        if (type.TypeKind == TypeKind.Error)
        {
            bag.MarkFailed();
            return null;
        }

        var state = Identifiers.FindAttribute(parameter, KnownTypes.PersistentStateAttribute);
        if (state is not null)
        {
            if (type is INamedTypeSymbol named && known.Is(named, known.PersistentState))
            {
                return new ConstructorArgumentModel(
                    ConstructorArgumentKind.PersistentState,
                    Identifiers.Type(named.TypeArguments[0]),
                    Identifiers.StringArgument(state, 0),
                    Identifiers.StringArgument(state, 1));
            }

            bag.Add(DiagnosticDescriptors.InvalidPersistentStateParameter, SourceLocations.Of(parameter), className, parameter.Name, Identifiers.ForMessage(type));
            return null;
        }

        var kind = known.Is(type, known.GrainContext) ? ConstructorArgumentKind.GrainContext
            : known.Is(type, known.ServiceProvider) ? ConstructorArgumentKind.ServiceProvider
            : known.Is(type, known.GrainFactory) ? ConstructorArgumentKind.GrainFactory
            : type.NullableAnnotation == NullableAnnotation.Annotated ? ConstructorArgumentKind.OptionalService
            : ConstructorArgumentKind.Service;
        // An optional service is looked up by its underlying type: IFoo for IFoo?, int for int?.
        var serviceType = kind == ConstructorArgumentKind.OptionalService && type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type;
        return new ConstructorArgumentModel(kind, Identifiers.TypeWithoutAnnotation(serviceType), null, null);
    }
}
