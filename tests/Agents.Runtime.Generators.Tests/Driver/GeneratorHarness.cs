using System.Collections.Immutable;
using Agents.CodeGeneration;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Agents.Runtime.Generators.Tests.Driver;

/// <summary>Runs the generator on source text, the way the compiler does, and reports what came out.</summary>
internal static class GeneratorHarness
{
    /// <summary>Usings every test source gets, so samples stay short.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Agents;

        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> FrameworkReferences = new(() =>
    {
        // The shared framework the tests run on, plus the Agents contracts.
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
            .Append(typeof(IGrain).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    public static CSharpCompilation Compile(string source, string assemblyName = "Sample", IEnumerable<MetadataReference>? references = null, bool referenceAgents = true)
    {
        var tree = CSharpSyntaxTree.ParseText(Usings + source, new CSharpParseOptions(LanguageVersion.Latest), path: "Sample.cs");
        var baseReferences = referenceAgents
            ? FrameworkReferences.Value
            : FrameworkReferences.Value.Where(r => !r.Display!.EndsWith("Agents.Runtime.Abstractions.dll", StringComparison.Ordinal));
        return CSharpCompilation.Create(
            assemblyName,
            [tree],
            baseReferences.Concat(references ?? []),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static GeneratorResult Run(string source, string assemblyName = "Sample", IEnumerable<MetadataReference>? references = null, bool referenceAgents = true) =>
        Run(Compile(source, assemblyName, references, referenceAgents));

    public static GeneratorResult Run(CSharpCompilation compilation)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new GrainCodeGenerator());
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return new GeneratorResult(output, result.Diagnostics, result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString()));
    }
}

/// <summary>The generator's diagnostics and sources, and the compilation with the sources added.</summary>
internal sealed record GeneratorResult(Compilation Output, ImmutableArray<Diagnostic> Diagnostics, Dictionary<string, string> Sources)
{
    public string AllSources => string.Join("\n", Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value));

    /// <summary>Errors and warnings of the compilation including generated code.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems =>
        Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    public Diagnostic Single(string id) => Assert.Single(Diagnostics, d => d.Id == id);

    /// <summary>Asserts the generator reported nothing and the output compiles without errors or warnings.</summary>
    public void AssertClean()
    {
        var problems = Diagnostics.Concat(CompilationProblems).Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, "Expected no diagnostics, got:\n" + string.Join("\n", problems));
    }

    /// <summary>The source text the diagnostic points at.</summary>
    public static string TextAt(Diagnostic diagnostic) =>
        diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);
}
