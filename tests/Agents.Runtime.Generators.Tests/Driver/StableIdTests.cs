using System.Globalization;
using System.Text.RegularExpressions;
using Agents.Runtime.Generators.Tests.Runtime;

namespace Agents.Runtime.Generators.Tests.Driver;

/// <summary>Interface and method ids follow docs/codegen.md exactly and only change when they should.</summary>
public sealed partial class StableIdTests
{
    [Fact]
    public void The_same_input_produces_the_same_output()
    {
        const string source = """
            namespace Sample;
            public interface ICounter : IGrainWithStringKey { Task<int> Add(int amount); Task Reset(); }
            """;

        Assert.Equal(GeneratorHarness.Run(source).AllSources, GeneratorHarness.Run(source).AllSources);
    }

    [Fact]
    public void Ids_hash_the_full_interface_name_and_the_method_signature()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface ICounter : IGrainWithStringKey { Task<int> Add(int amount, List<string?> tags); }
            public static class Outer { public interface IInner : IGrainWithGuidKey { Task Ping(); } }
            """);

        var counter = Ids(result, "Add");
        Assert.Equal(Hash("Sample.ICounter"), counter.InterfaceId);
        Assert.Equal(Hash("Add(System.Int32,System.Collections.Generic.List`1[System.String])"), counter.MethodId);
        Assert.Equal(Hash("Sample.Outer+IInner"), Ids(result, "Ping").InterfaceId);
    }

    [Fact]
    public void An_alias_replaces_the_name()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [Alias("counter")] public interface ICounter : IGrainWithStringKey { [Alias("counter.add")] Task<int> Add(int amount); }
            """);

        var ids = Ids(result, "Add");
        Assert.Equal(Hash("counter"), ids.InterfaceId);
        Assert.Equal(Hash("counter.add"), ids.MethodId);
    }

    [Fact]
    public void Changing_a_parameter_type_changes_the_method_id_and_nothing_else()
    {
        var before = Ids(GeneratorHarness.Run("namespace Sample; public interface ICounter : IGrainWithStringKey { Task Add(int amount); }"), "Add");
        var after = Ids(GeneratorHarness.Run("namespace Sample; public interface ICounter : IGrainWithStringKey { Task Add(long amount); }"), "Add");
        var renamed = Ids(GeneratorHarness.Run("namespace Sample; public interface ICounter : IGrainWithStringKey { Task Add(int value); }"), "Add");

        Assert.NotEqual(before.MethodId, after.MethodId);
        Assert.Equal(before.InterfaceId, after.InterfaceId);
        Assert.Equal(before.MethodId, renamed.MethodId);
    }

    [Fact]
    public void Nullable_annotations_do_not_change_ids()
    {
        var plain = Ids(GeneratorHarness.Run("namespace Sample; public interface IFoo : IGrainWithStringKey { Task Put(string text); }"), "Put");
        var annotated = Ids(GeneratorHarness.Run("namespace Sample; public interface IFoo : IGrainWithStringKey { Task Put(string? text); }"), "Put");

        Assert.Equal(plain, annotated);
    }

    private static uint Hash(string text) => ManifestTests.Fnv1a(text);

    /// <summary>The interface and method id in the generated descriptor of <paramref name="method"/>.</summary>
    private static (uint InterfaceId, uint MethodId) Ids(GeneratorResult result, string method)
    {
        var match = DescriptorPattern().Matches(result.AllSources).Single(m => m.Groups["name"].Value == method);
        return (Parse(match.Groups["interface"].Value), Parse(match.Groups["method"].Value));

        static uint Parse(string hex) => uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""GrainMethodDescriptor\(\s*typeof\([^)]*\),\s*0x(?<interface>[0-9A-F]{8})u,\s*"(?<name>[^"]+)",\s*0x(?<method>[0-9A-F]{8})u""")]
    private static partial Regex DescriptorPattern();
}
