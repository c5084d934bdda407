using Microsoft.CodeAnalysis;

namespace Agents.Runtime.Generators.Tests.Driver;

/// <summary>AGT0015 and AGT0016, and what the generator emits for codecs.</summary>
public sealed class CodecDiagnosticTests
{
    [Fact]
    public void AGT0016_a_parameter_or_result_without_a_codec()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                Task Append([Immutable] System.Text.StringBuilder builder);
                Task<List<Uri>> Links();
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0016").ToList();
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.Equal(2, diagnostics.Count);
        Assert.Contains(diagnostics, d =>
            d.GetMessage().StartsWith("Parameter 'builder' of grain method 'Sample.IBad.Append' has type 'System.Text.StringBuilder', and 'System.Text.StringBuilder' has no codec", StringComparison.Ordinal)
            && GeneratorResult.TextAt(d) == "builder");
        Assert.Contains(diagnostics, d =>
            d.GetMessage().StartsWith("The result of grain method 'Sample.IBad.Links' has type 'System.Collections.Generic.List<System.Uri>', and 'System.Uri' has no codec", StringComparison.Ordinal));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0016_a_member_of_a_serializable_type_without_a_codec()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [GenerateSerializer] public sealed class Data { [Id(0)] public Version? Version { get; set; } }
            """);

        var diagnostic = result.Single("AGT0016");
        Assert.StartsWith("Member 'Version' of [GenerateSerializer] type 'Sample.Data' has type 'System.Version?', and 'System.Version?' has no codec", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Version", GeneratorResult.TextAt(diagnostic));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0016_a_record_whose_member_has_no_codec_is_reported_where_it_is_sent()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public sealed record Item(string Name, System.Text.StringBuilder Notes);
            public sealed record Unmarked { public int Value { get; init; } }
            public interface IFoo : IGrainWithStringKey
            {
                Task Put(Item item);
                Task<Unmarked> Get();
            }
            """);

        var messages = result.Diagnostics.Where(d => d.Id == "AGT0016").Select(d => d.GetMessage()).ToList();
        Assert.Contains(messages, m => m.StartsWith("Parameter 'item' of grain method 'Sample.IFoo.Put' has type 'Sample.Item', and 'System.Text.StringBuilder' has no codec", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("The result of grain method 'Sample.IFoo.Get' has type 'Sample.Unmarked', and 'Sample.Unmarked' has no codec", StringComparison.Ordinal));
    }

    [Fact]
    public void AGT0015_members_with_the_same_field_id()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [GenerateSerializer] public class Base { [Id(0)] public int A { get; set; } }
            [GenerateSerializer] public sealed class Derived : Base { [Id(0)] public int B { get; set; } }
            [GenerateSerializer] public sealed record Positional([property: Id(1)] int X, int Y);
            """);

        var messages = result.Diagnostics.Where(d => d.Id == "AGT0015").Select(d => d.GetMessage()).ToList();
        Assert.Contains("Cannot generate a codec for [GenerateSerializer] type 'Sample.Derived': members 'B' and 'A' have the same field id 0; ids must be unique across the type and its base types", messages);
        Assert.Contains(messages, m => m.StartsWith("Cannot generate a codec for [GenerateSerializer] type 'Sample.Positional': members 'X' and 'Y' have the same field id 1", StringComparison.Ordinal));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0015_a_member_a_codec_cannot_set_or_an_exception_it_cannot_construct()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [GenerateSerializer] public sealed record Computed
            {
                private int _value;
                [Id(0)] public int Value { get => _value; private set => _value = value; }
            }
            [GenerateSerializer] public sealed class OddException(int code) : Exception { [Id(0)] public int Code { get; } = code; }
            """);

        var messages = result.Diagnostics.Where(d => d.Id == "AGT0015").Select(d => d.GetMessage()).ToList();
        Assert.Contains(messages, m => m.StartsWith("Cannot generate a codec for [GenerateSerializer] type 'Sample.Computed': property 'Value' is not settable", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Cannot generate a codec for [GenerateSerializer] type 'Sample.OddException': an exception type needs a public constructor", StringComparison.Ordinal));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void A_record_a_grain_method_sends_gets_a_registered_codec_without_being_marked()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public sealed record Point(int X, int Y);
            public sealed record Line(Point From, Point To);
            public interface IFoo : IGrainWithStringKey { Task<Line> Draw(Line line, Point extra); }
            """);

        result.AssertClean();
        Assert.Contains("builder.AddCodec<global::Sample.Point>(\"Sample.Point\", global::Agents.Generated.SampleCodecs.Codec_Point_", result.AllSources, StringComparison.Ordinal);
        Assert.Contains("builder.AddSerializableType(typeof(global::Sample.Line), \"Sample.Line\");", result.AllSources, StringComparison.Ordinal);
        Assert.Single(result.Sources.Keys, k => k == "SampleCodecs.g.cs");
    }

    [Fact]
    public void A_request_serializes_its_arguments_by_position_without_the_cancellation_token()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey { Task<int> Run(string name, CancellationToken token, List<int> values); }
            """);

        result.AssertClean();
        var source = result.AllSources;
        Assert.Contains("global::Agents.Serialization.StringCodec.Instance.WriteField(ref writer, 0u, Arg0);", source, StringComparison.Ordinal);
        Assert.Contains("Codec0.WriteField(ref writer, 1u, Arg1);", source, StringComparison.Ordinal);
        Assert.DoesNotContain("CancellationArg = global::Agents.Serialization", source, StringComparison.Ordinal);
        Assert.DoesNotContain("WriteField(ref writer, 2u", source, StringComparison.Ordinal);
        Assert.Contains("protected override global::System.Int32 ReadResult(", source, StringComparison.Ordinal);
        Assert.Contains("static () => global::Agents.Invocation.GrainRequestPool<RunRequest>.Rent());", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Codecs_of_a_referenced_assembly_are_reached_through_the_type_manifest()
    {
        var library = GeneratorHarness.Run(
            "namespace Library; [GenerateSerializer] public sealed class Payload { [Id(0)] public int Value { get; set; } }",
            assemblyName: "Library.Types");
        var app = GeneratorHarness.Run(
            "namespace App; public interface IApp : IGrainWithStringKey { Task Send(Library.Payload payload); }",
            assemblyName: "App",
            references: [library.Output.ToMetadataReference()]);

        app.AssertClean();
        Assert.Contains("global::Agents.Serialization.ProvidedCodec<global::Library.Payload>.Instance", app.AllSources, StringComparison.Ordinal);
    }
}
