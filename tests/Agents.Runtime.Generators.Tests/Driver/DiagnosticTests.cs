using Microsoft.CodeAnalysis;

namespace Agents.Runtime.Generators.Tests.Driver;

/// <summary>Each AGT diagnostic: right id, a message naming what is at fault, reported where it is.</summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void AGT0001_a_method_returning_something_else_than_a_task()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                Task Fine();
                void Fire(int x);
            }
            """);

        var diagnostic = result.Single("AGT0001");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Grain method 'Sample.IBad.Fire' returns 'void'; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>", diagnostic.GetMessage());
        Assert.Equal("Fire", GeneratorResult.TextAt(diagnostic));
        Assert.DoesNotContain(result.Sources.Keys, k => k.Contains("BadProxy", StringComparison.Ordinal));
    }

    [Fact]
    public void AGT0002_a_ref_parameter_or_a_generic_method()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                Task Update(ref int counter);
                Task<T> Convert<T>(string text);
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0002").ToList();
        Assert.Equal(2, diagnostics.Count);
        Assert.Contains(diagnostics, d =>
            d.GetMessage().Contains("'Sample.IBad.Update' has parameter 'counter' passed by reference", StringComparison.Ordinal)
            && GeneratorResult.TextAt(d) == "counter");
        Assert.Contains(diagnostics, d =>
            d.GetMessage().Contains("'Sample.IBad.Convert' is generic", StringComparison.Ordinal) && GeneratorResult.TextAt(d) == "Convert");
    }

    [Fact]
    public void AGT0003_a_one_way_method_returning_a_value()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                [OneWay] Task<int> Count();
            }
            """);

        var diagnostic = result.Single("AGT0003");
        Assert.StartsWith("Grain method 'Sample.IBad.Count' is [OneWay] but returns 'System.Threading.Tasks.Task<int>'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Count", GeneratorResult.TextAt(diagnostic));
    }

    [Fact]
    public void AGT0004_two_methods_with_the_same_id()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                [Alias("same")] Task First();
                [Alias("same")] Task Second();
            }
            """);

        var diagnostic = result.Single("AGT0004");
        Assert.StartsWith("Grain methods 'Sample.IBad.First' and 'Sample.IBad.Second' have the same method id 0x", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("Second", GeneratorResult.TextAt(diagnostic));
    }

    [Fact]
    public void AGT0004_two_interfaces_with_the_same_id()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [Alias("same")] public interface IFirst : IGrainWithStringKey { Task A(); }
            [Alias("same")] public interface ISecond : IGrainWithStringKey { Task B(); }
            """);

        var diagnostic = result.Single("AGT0004");
        Assert.StartsWith("Grain interfaces 'Sample.IFirst' and 'Sample.ISecond' have the same interface id 0x", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void AGT0005_a_property_or_an_event()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                int Count { get; }
                event EventHandler Changed;
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0005").Select(d => (d.GetMessage(), GeneratorResult.TextAt(d))).ToList();
        Assert.Contains(("Grain interface 'Sample.IBad' declares property 'Count'; grain interfaces may only declare methods", "Count"), diagnostics);
        Assert.Contains(("Grain interface 'Sample.IBad' declares event 'Changed'; grain interfaces may only declare methods", "Changed"), diagnostics);
    }

    [Fact]
    public void AGT0005_a_static_abstract_member()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                static abstract IBad Create();
                static int Helper() => 1;
                Task Run();
            }
            """);

        var diagnostic = result.Single("AGT0005");
        Assert.Equal("Grain interface 'Sample.IBad' declares static abstract member 'Create'; grain interfaces may only declare methods", diagnostic.GetMessage());
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0006_a_grain_class_without_exactly_one_public_constructor()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey { Task Run(); }
            public sealed class TwoConstructors : IFoo
            {
                public TwoConstructors() { }
                public TwoConstructors(int x) { }
                public Task Run() => Task.CompletedTask;
            }
            public sealed class NoPublicConstructor : IFoo
            {
                private NoPublicConstructor() { }
                public Task Run() => Task.CompletedTask;
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0006").ToList();
        Assert.Contains(diagnostics, d => d.GetMessage().StartsWith("Grain class 'Sample.TwoConstructors' has 2 public constructors", StringComparison.Ordinal) && GeneratorResult.TextAt(d) == "TwoConstructors");
        Assert.Contains(diagnostics, d => d.GetMessage().StartsWith("Grain class 'Sample.NoPublicConstructor' has 0 public constructors", StringComparison.Ordinal));
        Assert.DoesNotContain("TwoConstructors(", result.AllSources, StringComparison.Ordinal);
    }

    [Fact]
    public void AGT0007_a_persistent_state_parameter_of_the_wrong_type()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey { Task Run(); }
            public sealed class FooGrain([PersistentState("state")] string state) : IFoo
            {
                public Task Run() => Task.CompletedTask;
            }
            """);

        var diagnostic = result.Single("AGT0007");
        Assert.Equal("Parameter 'state' of the constructor of grain class 'Sample.FooGrain' is marked [PersistentState] but has type 'string'; it must be IPersistentState<T>", diagnostic.GetMessage());
        Assert.Equal("state", GeneratorResult.TextAt(diagnostic));
    }

    [Fact]
    public void AGT0008_an_invalid_response_timeout()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                [ResponseTimeout("soon")] Task Slow();
                [ResponseTimeout("-00:00:01")] Task Negative();
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0008").ToList();
        Assert.Equal(2, diagnostics.Count);
        Assert.Contains(diagnostics, d => d.GetMessage().StartsWith("[ResponseTimeout(\"soon\")] on grain method 'Sample.IBad.Slow' is not a positive TimeSpan", StringComparison.Ordinal)
            && GeneratorResult.TextAt(d) == "ResponseTimeout(\"soon\")");
        Assert.Contains(diagnostics, d => d.GetMessage().Contains("'Sample.IBad.Negative'", StringComparison.Ordinal));
    }

    [Fact]
    public void AGT0009_a_streamed_response()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBad : IGrainWithStringKey
            {
                IAsyncEnumerable<int> Numbers();
            }
            """);

        var diagnostic = result.Single("AGT0009");
        Assert.StartsWith("Grain method 'Sample.IBad.Numbers' returns 'System.Collections.Generic.IAsyncEnumerable<int>'; streamed responses are not supported yet", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "AGT0001");
    }

    [Fact]
    public void AGT0010_a_mutable_parameter_or_result_without_a_copier()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public sealed class Mutable { public int Value { get; set; } }
            public interface IBad : IGrainWithStringKey
            {
                Task Append(System.Text.StringBuilder builder, [Immutable] Mutable shared);
                Task<List<Mutable>> Items();
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0010").ToList();
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.Equal(2, diagnostics.Count);
        Assert.Contains(diagnostics, d =>
            d.GetMessage().StartsWith("Parameter 'builder' of grain method 'Sample.IBad.Append' has type 'System.Text.StringBuilder', and 'System.Text.StringBuilder' is mutable with no copier", StringComparison.Ordinal)
            && GeneratorResult.TextAt(d) == "builder");
        Assert.Contains(diagnostics, d =>
            d.GetMessage().StartsWith("The result of grain method 'Sample.IBad.Items' has type 'System.Collections.Generic.List<Sample.Mutable>', and 'Sample.Mutable' is mutable", StringComparison.Ordinal));
    }

    [Fact]
    public void AGT0011_a_generic_grain_interface_or_class()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IRepository<T> : IGrainWithStringKey { Task<T> Get(); }
            public interface IFoo : IGrainWithStringKey { Task Run(); }
            public sealed class FooGrain<T> : IFoo { public Task Run() => Task.CompletedTask; }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0011").Select(d => d.GetMessage()).ToList();
        Assert.Contains("Grain interface 'Sample.IRepository<T>' is generic; generic grain interfaces and grain classes are not supported, so no code is generated for it", diagnostics);
        Assert.Contains(diagnostics, m => m.StartsWith("Grain class 'Sample.FooGrain<T>' is generic", StringComparison.Ordinal));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0012_a_grain_interface_generated_code_cannot_name()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public class Outer
            {
                private interface IHidden : IGrainWithStringKey { Task Run(); }
            }
            """);

        var diagnostic = result.Single("AGT0012");
        Assert.Equal("Grain interface 'Sample.Outer.IHidden' is not accessible to generated code; it and every type containing it must be public or internal", diagnostic.GetMessage());
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0013_a_serializable_type_whose_copier_cannot_be_generated()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            [GenerateSerializer] public sealed class Box<T> { [Id(0)] public List<T> Items { get; set; } = new(); }
            [GenerateSerializer] public sealed class Computed
            {
                private int _value;
                [Id(0)] public int Value { get => _value; private set => _value = value; }
            }
            """);

        var diagnostics = result.Diagnostics.Where(d => d.Id == "AGT0013").Select(d => d.GetMessage()).ToList();
        Assert.Contains(diagnostics, m => m.StartsWith("Cannot generate a copier for [GenerateSerializer] type 'Sample.Box<T>': generic types", StringComparison.Ordinal));
        Assert.Contains(diagnostics, m => m.StartsWith("Cannot generate a copier for [GenerateSerializer] type 'Sample.Computed': property 'Value'", StringComparison.Ordinal));
        Assert.Empty(result.CompilationProblems);
    }

    [Fact]
    public void AGT0014_more_than_one_key_kind()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBoth : IGrainWithStringKey, IGrainWithGuidKey { Task Run(); }
            """);

        var diagnostic = result.Single("AGT0014");
        Assert.StartsWith("Grain interface 'Sample.IBoth' derives from IGrainWithStringKey, IGrainWithGuidKey", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void AGT0010_can_be_suppressed_with_a_pragma()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IFoo : IGrainWithStringKey
            {
            #pragma warning disable AGT0010
                Task Append(System.Text.StringBuilder builder);
            #pragma warning restore AGT0010
            }
            """);

        var diagnostic = result.Single("AGT0010");
        Assert.True(diagnostic.IsSuppressed);
    }

    [Fact]
    public void A_bad_method_inherited_from_a_referenced_assembly_is_reported_at_the_grain_interface()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IDisposableGrain : IGrainWithStringKey, IDisposable { Task Run(); }
            """);

        var diagnostic = result.Single("AGT0001");
        Assert.StartsWith("Grain method 'System.IDisposable.Dispose' returns 'void'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("IDisposableGrain", GeneratorResult.TextAt(diagnostic));
    }

    [Fact]
    public void An_invalid_inherited_method_is_reported_once_at_its_declaration()
    {
        var result = GeneratorHarness.Run("""
            namespace Sample;
            public interface IBase : IGrainWithStringKey { void Broken(); }
            public interface IFirst : IBase { Task A(); }
            public interface ISecond : IBase { Task B(); }
            """);

        var diagnostic = result.Single("AGT0001");
        Assert.Contains("'Sample.IBase.Broken'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain(result.Sources.Keys, k => k.Contains("FirstProxy", StringComparison.Ordinal));
    }
}
