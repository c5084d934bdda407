using Agents.CodeGeneration;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Agents.Runtime.Generators.Tests.Driver;

/// <summary>Generated code compiles cleanly (nullable on, warnings counted) for everything a valid grain may contain.</summary>
public sealed class CompilationTests
{
    private const string RichSample = """
        namespace Sample
        {
            public interface IHandler<T> { Task<T> Handle(T value); }

            public interface IBase : IGrainWithStringKey
            {
                Task<string?> Name(string? prefix);
            }

            [Alias("sample.everything")]
            public interface IEverything : IBase, IHandler<string>
            {
                Task Plain();
                Task<int> Value(int a, long b, Guid c, DateTimeOffset d, TimeSpan e, CancellationToken token);
                ValueTask Fast();
                ValueTask<(int Count, string Label)> Tuple((int Count, string Label) input);
                [OneWay] Task Fire(string message);
                [OneWay] ValueTask FireFast();
                [ReadOnly, AlwaysInterleave, ResponseTimeout("00:01:00")] Task<int[]> Numbers(int[] input, List<int>? list, Dictionary<string, List<Data>> map, HashSet<string> set);
                Task<Data> Data(Data data, Point point, Shape? shape, object? anything, IReadOnlyList<int> readOnly);
                Task<IEverything> Self(IEverything other, GrainId id);
                Task @event(int @class);
                Task Overload(int x);
                Task Overload(string x);
                [Obsolete("old")] Task Old();
                Task<int?> Maybe(int? value, Kind kind, params string[] rest);
                Task WithDefault(int x = 3);
                Task<string> Describe() => Task.FromResult("default");
            }

            public enum Kind { A, B }

            public record Point(int X, int Y);

            [GenerateSerializer]
            public class Data
            {
                [Id(0)] public string Name { get; set; } = "";
                [Id(1)] public List<Data> Children { get; set; } = new();
                [Id(2)] private readonly Dictionary<string, int> _counts = new();
                [Id(3)] public required string Key { get; init; }
            }

            [GenerateSerializer]
            public abstract class Shape { [Id(0)] public double Area { get; set; } }

            [GenerateSerializer]
            public sealed class Square : Shape { [Id(1)] public double Side { get; set; } }

            [GenerateSerializer] public sealed record Envelope<T>(T Value);

            public class Outer
            {
                public interface INested : IGrainWithIntegerKey { Task<long> Key(); }
            }

            public interface IService { }

            public sealed class EverythingGrain(
                IGrainContext context,
                IServiceProvider services,
                IGrainFactory factory,
                IService service,
                IService? optional,
                [PersistentState("state", "store")] IPersistentState<Data> state,
                [PersistentState("other")] IPersistentState<List<int>> other) : Grain, Outer.INested
            {
                public object?[] Dependencies { get; } = [context, services, factory, service, optional, state, other];

                public Task<long> Key() => Task.FromResult(0L);
            }
        }
        """;

    [Fact]
    public void A_valid_grain_compiles_without_errors_or_warnings()
    {
        var result = GeneratorHarness.Run(RichSample);

        result.AssertClean();
        Assert.Contains("Sample.EverythingProxy.g.cs", result.Sources.Keys.Select(k => k.Replace("Agents.Generated.", string.Empty, StringComparison.Ordinal)));
        Assert.Contains("Outer_NestedProxy", result.AllSources, StringComparison.Ordinal);
        Assert.Contains("context.GetPersistentState<global::System.Collections.Generic.List<global::System.Int32>>(\"other\", null)", result.AllSources, StringComparison.Ordinal);
        Assert.Contains("builder.AddSerializableType(typeof(global::Sample.Envelope<>), \"Sample.Envelope`1\");", result.AllSources, StringComparison.Ordinal);
    }

    [Fact]
    public void Grains_declared_without_nullable_annotations_compile_cleanly()
    {
        var result = GeneratorHarness.Run("""
            #nullable disable
            namespace Sample;
            public interface IFoo : IGrainWithStringKey
            {
                Task<string> Echo(string text, List<string> items, Data data);
                internal Task Hidden();
            }
            [GenerateSerializer] public sealed class Data { [Id(0)] public string Name { get; set; } [Id(1)] public List<string> Items { get; set; } }
            public sealed class FooGrain(IComparer<string> comparer) : IFoo
            {
                public Task<string> Echo(string text, List<string> items, Data data) => Task.FromResult(text + comparer);
                Task IFoo.Hidden() => Task.CompletedTask;
            }
            """);

        result.AssertClean();
        Assert.Contains("IFoo.Hidden()", result.AllSources, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_access_to_internals_CopyArguments_is_overridden_as_protected()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey { Task Put(List<int> items); }
            """);

        Assert.Contains("protected override void CopyArguments()", result.AllSources, StringComparison.Ordinal);
        result.AssertClean();
    }

    [Fact]
    public void A_manifest_references_the_manifests_of_referenced_grain_assemblies()
    {
        var library = GeneratorHarness.Run(
            """
            namespace Library;
            public interface ILibraryGrain : IGrainWithStringKey { Task<int> Get(); }
            public sealed class LibraryGrain : ILibraryGrain { public Task<int> Get() => Task.FromResult(1); }
            [GenerateSerializer] public sealed class Payload { [Id(0)] public List<int> Values { get; set; } = new(); }
            """,
            assemblyName: "Library.Grains");
        library.AssertClean();

        var app = GeneratorHarness.Run(
            """
            namespace App;
            public interface IAppGrain : Library.ILibraryGrain { Task<Library.Payload> Load(Library.Payload payload); }
            """,
            assemblyName: "App",
            references: [library.Output.ToMetadataReference()]);

        app.AssertClean();
        Assert.Contains(
            "[assembly: global::Agents.Invocation.GrainManifestReference(typeof(global::Agents.Generated.Library_GrainsManifest))]",
            app.AllSources,
            StringComparison.Ordinal);

        // A copier from another assembly is reached through DeepCopier, where that assembly's manifest registers it.
        Assert.Contains("global::Agents.Serialization.DeepCopier.Copy(Arg0)", app.AllSources, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compilation_without_Agents_gets_no_code()
    {
        var result = GeneratorHarness.Run("namespace Sample; public interface IFoo { }", referenceAgents: false);

        Assert.Empty(result.Sources);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void An_assembly_without_grains_still_gets_a_manifest()
    {
        var result = GeneratorHarness.Run("namespace Sample; public sealed class Host { }", assemblyName: "My-Host.App");

        var manifest = Assert.Single(result.Sources);
        Assert.Equal("My_Host_AppManifest.g.cs", manifest.Key);
        Assert.Contains("[assembly: global::Agents.Invocation.GrainManifestProvider(typeof(global::Agents.Generated.My_Host_AppManifest))]", manifest.Value, StringComparison.Ordinal);
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void Generated_files_start_with_the_auto_generated_header()
    {
        var result = GeneratorHarness.Run(RichSample);

        Assert.All(result.Sources.Values, source =>
        {
            Assert.StartsWith("// <auto-generated/>", source, StringComparison.Ordinal);
            Assert.Contains("#nullable enable", source, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void An_edit_that_does_not_change_a_grain_does_not_regenerate_it()
    {
        var compilation = GeneratorHarness.Compile("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey { Task Run(List<int> items); }
            public sealed class FooGrain : IFoo { public Task Run(List<int> items) => Task.CompletedTask; }
            [GenerateSerializer] public sealed class Data { [Id(0)] public List<int> Values { get; set; } = new(); }
            """);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new GrainCodeGenerator().AsSourceGenerator()],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);

        var unrelated = CSharpSyntaxTree.ParseText("namespace Sample; public sealed class Unrelated : System.IDisposable { public void Dispose() { } }", path: "Other.cs");
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(unrelated));

        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in new[] { TrackingNames.Proxies, TrackingNames.Factories, TrackingNames.SerializableTypes, TrackingNames.Manifest })
        {
            var outputs = steps[name].SelectMany(step => step.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, output => Assert.True(
                output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{name} re-ran: {output.Reason}"));
        }
    }
}
