using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Model;

/// <summary>Reads what the manifest needs from the compilation as a whole.</summary>
internal static class CompilationExtractor
{
    private const string AbstractionsAssembly = "Agents.Runtime.Abstractions";

    /// <summary>The compilation's model, or null when it does not use Agents (nothing is generated then).</summary>
    public static CompilationModel? Extract(Compilation compilation, CancellationToken cancellationToken)
    {
        if (KnownTypes.Create(compilation) is not { } known)
        {
            return null;
        }

        var manifests = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // Only assemblies built against Agents can carry a manifest; checking references first
            // spares decoding the attributes of every framework assembly on each compilation.
            if (!assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == AbstractionsAssembly)))
            {
                continue;
            }

            foreach (var attribute in assembly.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == KnownTypes.ManifestProviderAttribute
                    && attribute.ConstructorArguments.FirstOrDefault().Value is INamedTypeSymbol provider
                    && IsPublic(provider))
                {
                    manifests.Add(Identifiers.TypeWithoutAnnotation(provider));
                }
            }
        }

        return new CompilationModel(known.AssemblyIdentifier, manifests.ToEquatableArray());
    }

    private static bool IsPublic(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility != Accessibility.Public)
            {
                return false;
            }
        }

        return true;
    }
}
