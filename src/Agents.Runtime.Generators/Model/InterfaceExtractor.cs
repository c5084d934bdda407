using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Agents.CodeGeneration.Copying;
using Agents.CodeGeneration.Diagnostics;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Serialization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Agents.CodeGeneration.Model;

/// <summary>
/// Turns an interface declaration into an <see cref="InterfaceModel"/>. Every interface deriving
/// from <c>IGrain</c> has its own members validated here; keyed ones also get a proxy, which
/// implements inherited methods too. A member inherited from an interface that is validated on
/// its own (a non-generic grain interface in this compilation) is not reported again, but still
/// blocks the proxy when invalid.
/// </summary>
internal static class InterfaceExtractor
{
    public static bool IsCandidate(SyntaxNode node) => node is InterfaceDeclarationSyntax { BaseList: not null };

    public static InterfaceModel? Extract(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var node = (InterfaceDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(node, cancellationToken) is not INamedTypeSymbol type
            || !SyntaxSelection.IsPrimaryDeclaration(type, node)
            || KnownTypes.Create(context.SemanticModel.Compilation) is not { } known
            || !known.IsGrainInterfaceOrBase(type)
            || known.IsMarkerInterface(type))
        {
            return null;
        }

        var keyed = known.IsKeyedGrainInterface(type);
        var name = Identifiers.ForMessage(type);
        var location = SourceLocations.Of(type);
        var bag = new DiagnosticBag();
        if (Identifiers.IsGenericOrInGeneric(type))
        {
            // An unkeyed generic base (IBase<T> : IGrain) is fine: derived interfaces close it and validate its methods.
            if (!keyed)
            {
                return null;
            }

            bag.Add(DiagnosticDescriptors.GenericGrain, location, "interface", name);
            return new InterfaceModel(name, location, bag.ToImmutable(), null);
        }

        if (keyed && !Identifiers.IsAccessibleToGeneratedCode(type))
        {
            bag.Add(DiagnosticDescriptors.InaccessibleType, location, "Grain interface", name);
            return new InterfaceModel(name, location, bag.ToImmutable(), null);
        }

        var keys = known.KeyInterfaces(type);
        if (keys.Count > 1)
        {
            bag.Add(DiagnosticDescriptors.AmbiguousKeyKind, location, name, string.Join(", ", keys.Select(k => k.Name)));
        }

        var classifier = new CopyClassifier(known);
        var codecs = new CodecClassifier(known);
        var methods = CollectMethods(type, known, new MethodExtractor(known, classifier, codecs), location, bag, cancellationToken);
        if (!keyed || bag.HasErrors)
        {
            return new InterfaceModel(name, location, bag.ToImmutable(), null);
        }

        var proxy = new ProxyModel(
            Identifiers.TypeWithoutAnnotation(type),
            Identifiers.GeneratedNamespace(type),
            ProxyName(type, known),
            StableIds.InterfaceId(type, Identifiers.Alias(type)),
            KeyKind(keys[0], known),
            known.HasInternalsAccess,
            NameRequests(methods),
            ImpliedCodecs.Plan(codecs));
        return new InterfaceModel(name, location, bag.ToImmutable(), proxy);
    }

    private static List<MethodModel> CollectMethods(
        INamedTypeSymbol type, KnownTypes known, MethodExtractor extractor, Location? location, DiagnosticBag bag, CancellationToken cancellationToken)
    {
        var methods = new List<MethodModel>();
        foreach (var declaring in new[] { type }.Concat(type.AllInterfaces))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (known.IsMarkerInterface(declaring))
            {
                continue;
            }

            var report = SymbolEqualityComparer.Default.Equals(declaring, type) || !IsValidatedOnItsOwn(declaring, known);
            var target = report ? bag : new DiagnosticBag();
            var declared = new List<(IMethodSymbol Method, MethodModel Model)>();
            foreach (var member in declaring.GetMembers())
            {
                switch (member)
                {
                    // Every instance method the proxy must (or may) implement: abstract ones and default implementations.
                    case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false, IsSealed: false, DeclaredAccessibility: not Accessibility.Private } method:
                        if (extractor.Extract(method, declaring, location, target) is { } model)
                        {
                            declared.Add((method, model));
                        }

                        break;
                    case IPropertySymbol { IsStatic: false } property:
                        target.Add(DiagnosticDescriptors.NonMethodMember, SourceLocations.Of(property) ?? location, Identifiers.ForMessage(declaring), property.IsIndexer ? "an indexer" : "property", property.Name);
                        break;
                    case IEventSymbol { IsStatic: false } @event:
                        target.Add(DiagnosticDescriptors.NonMethodMember, SourceLocations.Of(@event) ?? location, Identifiers.ForMessage(declaring), "event", @event.Name);
                        break;
                    case { IsStatic: true, IsAbstract: true } or { IsStatic: true, IsVirtual: true }:
                        // A proxy is an object; it cannot provide static members for the interface.
                        target.Add(DiagnosticDescriptors.NonMethodMember, SourceLocations.Of(member) ?? location, Identifiers.ForMessage(declaring), "static abstract member", member.Name);
                        break;
                }
            }

            ReportDuplicateIds(declaring, declared, location, target);
            if (!report && target.HasErrors)
            {
                bag.MarkFailed();
            }

            methods.AddRange(declared.Select(d => d.Model));
        }

        return methods;
    }

    /// <summary>Whether <paramref name="declaring"/> gets its own pass of this extractor (and so its own reports).</summary>
    private static bool IsValidatedOnItsOwn(INamedTypeSymbol declaring, KnownTypes known) =>
        SymbolEqualityComparer.Default.Equals(declaring.ContainingAssembly, known.Compilation.Assembly)
        && !Identifiers.IsGenericOrInGeneric(declaring)
        && known.IsGrainInterfaceOrBase(declaring);

    private static void ReportDuplicateIds(INamedTypeSymbol declaring, List<(IMethodSymbol Method, MethodModel Model)> methods, Location? fallback, DiagnosticBag bag)
    {
        var seen = new Dictionary<uint, IMethodSymbol>();
        foreach (var (method, model) in methods)
        {
            if (seen.TryGetValue(model.MethodId, out var first))
            {
                bag.Add(
                    DiagnosticDescriptors.DuplicateMethodId,
                    SourceLocations.Of(method) ?? fallback,
                    Identifiers.ForMessage(declaring),
                    first.Name,
                    method.Name,
                    model.MethodId.ToString("X8", CultureInfo.InvariantCulture));
            }
            else
            {
                seen.Add(model.MethodId, method);
            }
        }
    }

    /// <summary>Names each request class after its method, numbering overloads and same-named inherited methods.</summary>
    private static EquatableArray<MethodModel> NameRequests(List<MethodModel> methods)
    {
        var used = new HashSet<string>();
        return methods.Select(method =>
        {
            var baseName = method.Name.TrimStart('@') + "Request";
            var name = baseName;
            for (var n = 2; !used.Add(name); n++)
            {
                name = baseName + n.ToString(CultureInfo.InvariantCulture);
            }

            return method with { RequestName = name };
        }).ToEquatableArray();
    }

    /// <summary>
    /// <c>FooProxy</c> for <c>IFoo</c>; the <c>I</c> stays when a sibling grain interface is
    /// named <c>Foo</c>, so the two proxies cannot collide.
    /// </summary>
    private static string ProxyName(INamedTypeSymbol type, KnownTypes known)
    {
        var name = type.Name;
        if (name.Length > 1 && name[0] == 'I' && char.IsUpper(name[1]))
        {
            var stripped = name.Substring(1);
            var siblings = type.ContainingType?.GetTypeMembers(stripped) ?? type.ContainingNamespace.GetTypeMembers(stripped);
            if (!siblings.Any(known.IsKeyedGrainInterface))
            {
                name = stripped;
            }
        }

        var prefix = type.ContainingType is { } outer ? Identifiers.FlatName(outer) + "_" : string.Empty;
        return prefix + name + "Proxy";
    }

    private static string KeyKind(INamedTypeSymbol key, KnownTypes known) =>
        SymbolEqualityComparer.Default.Equals(key, known.StringKey) ? "String"
        : SymbolEqualityComparer.Default.Equals(key, known.GuidKey) ? "Guid"
        : "Integer";
}
