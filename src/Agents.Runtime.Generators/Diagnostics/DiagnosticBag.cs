using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Agents.CodeGeneration.Diagnostics;

/*
 * Diagnostics keep their real source locations, unlike the models: a location rebuilt from a
 * file path is an external location, which `#pragma warning disable` cannot suppress
 * (dotnet/roslyn#68291). So the pipeline reports diagnostics from the extractors' results
 * directly and feeds emitters only the location-free, equatable models selected from them.
 */

/// <summary>Accumulates diagnostics while a model is extracted.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = new();

    public bool HasErrors { get; private set; }

    public void Add(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        _items.Add(Diagnostic.Create(descriptor, location ?? Location.None, arguments.Cast<object>().ToArray()));
        HasErrors |= descriptor.DefaultSeverity == DiagnosticSeverity.Error;
    }

    /// <summary>Records that generation must stop without reporting here (the fault is reported elsewhere).</summary>
    public void MarkFailed() => HasErrors = true;

    public ImmutableArray<Diagnostic> ToImmutable() => _items.ToImmutableArray();
}

internal static class SourceLocations
{
    /// <summary>The first source location of <paramref name="symbol"/>, or null when it comes from metadata.</summary>
    public static Location? Of(ISymbol symbol) => symbol.Locations.FirstOrDefault(l => l.IsInSource);

    public static void ReportAll(this SourceProductionContext context, ImmutableArray<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic);
        }
    }
}
