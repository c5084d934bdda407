using System.Collections.Immutable;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Copying;

/// <summary>DeepCopier's runtime rules, independent of generated code.</summary>
public sealed class DeepCopierTests
{
    [Fact]
    public void Null_and_immutable_values_are_returned_as_they_are()
    {
        var text = "text";
        var immutable = ImmutableArray.Create(1, 2);
        var record = new Point(1, 2);
        var marked = new MarkedImmutable();

        Assert.Null(DeepCopier.Copy<List<int>?>(null));
        Assert.Same(text, DeepCopier.Copy(text));
        Assert.Same(record, DeepCopier.Copy<object>(record));
        Assert.Same(marked, DeepCopier.Copy<object>(marked));
        Assert.Equal(immutable, DeepCopier.Copy(immutable));
        Assert.Equal(42, DeepCopier.Copy<object>(42));
        Assert.Equal((1, "a"), DeepCopier.Copy((1, "a")));
    }

    [Fact]
    public void Read_only_lists_built_by_collection_expressions_are_shared_or_copied_by_their_elements()
    {
        var source = new List<string> { "a", "b" };
        IReadOnlyList<string> names = [.. source];
        IEnumerable<string> one = ["only"];
        var inner = new List<int> { 1 };
        IReadOnlyList<List<int>> nested = [.. new[] { inner }];

        Assert.Same(names, DeepCopier.Copy(names)); // nothing can change it or its elements
        Assert.Same(one, DeepCopier.Copy(one));
        var copy = DeepCopier.Copy(nested);
        Assert.NotSame(nested, copy);
        Assert.NotSame(inner, copy[0]);
        Assert.Equal([1], copy[0]);
    }

    [Fact]
    public void A_read_only_collection_is_a_new_view_over_copied_elements()
    {
        var owner = new List<string> { "a" };
        var view = owner.AsReadOnly();

        var copy = DeepCopier.Copy(view);
        owner.Add("b");

        Assert.NotSame(view, copy);
        Assert.Equal(["a"], copy);
    }

    [Fact]
    public void Lists_are_copied_element_wise()
    {
        var inner = new List<int> { 1 };
        var outer = new List<List<int>> { inner };

        var copy = DeepCopier.Copy(outer);

        Assert.NotSame(outer, copy);
        Assert.NotSame(inner, copy[0]);
        Assert.Equal([1], copy[0]);
    }

    [Fact]
    public void Dictionaries_and_sets_keep_their_comparer()
    {
        var dictionary = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase) { ["Key"] = [1] };
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Value" };

        var dictionaryCopy = DeepCopier.Copy(dictionary);
        var setCopy = DeepCopier.CopyHashSet(set);

        Assert.NotSame(dictionary["Key"], dictionaryCopy["KEY"]);
        Assert.Contains("VALUE", setCopy);
        Assert.NotSame(set, setCopy);
    }

    [Fact]
    public void Arrays_keep_their_runtime_element_type()
    {
        object[] covariant = new string[] { "a", "b" };
        var matrix = new[,] { { new List<int> { 1 } } };

        var copy = DeepCopier.CopyArray(covariant);
        var matrixCopy = (List<int>[,])DeepCopier.Copy<object>(matrix);

        Assert.IsType<string[]>(copy);
        Assert.NotSame(covariant, copy);
        Assert.NotSame(matrix[0, 0], matrixCopy[0, 0]);
        Assert.Equal([1], matrixCopy[0, 0]);
    }

    [Fact]
    public void Typed_helpers_with_a_null_element_copier_share_elements()
    {
        var element = new List<int>();
        var list = new List<List<int>> { element };

        var copy = DeepCopier.CopyList(list, copyElement: null);

        Assert.NotSame(list, copy);
        Assert.Same(element, copy[0]);
    }

    [Fact]
    public void An_unknown_mutable_type_fails_naming_the_type_and_the_fix()
    {
        var exception = Assert.Throws<NotSupportedException>(() => DeepCopier.Copy<object>(new Unregistered()));

        Assert.Contains(typeof(Unregistered).FullName!, exception.Message, StringComparison.Ordinal);
        Assert.Contains("[GenerateSerializer]", exception.Message, StringComparison.Ordinal);
        Assert.Contains("[Immutable]", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_derived_list_type_is_not_silently_turned_into_a_plain_list()
    {
        Assert.Throws<NotSupportedException>(() => DeepCopier.CopyList<int>(new DerivedList()));
    }

    [Fact]
    public void A_registered_copier_is_used_by_runtime_type()
    {
        DeepCopier.Register<Registered>(value => new Registered { Value = value.Value + "-copy" });
        object original = new Registered { Value = "v" };

        var copy = Assert.IsType<Registered>(DeepCopier.Copy(original));
        var inList = DeepCopier.Copy(new List<object> { original });

        Assert.Equal("v-copy", copy.Value);
        Assert.Equal("v-copy", Assert.IsType<Registered>(inList[0]).Value);
    }

    [Fact]
    public void A_struct_holding_a_mutable_object_is_not_shared()
    {
        var pair = new KeyValuePair<string, List<int>>("k", [1]);

        Assert.Throws<NotSupportedException>(() => DeepCopier.Copy<object>(pair));
        Assert.Equal(new KeyValuePair<string, int>("k", 1), DeepCopier.Copy<object>(new KeyValuePair<string, int>("k", 1)));
    }

    private sealed record Point(int X, int Y);

    [Immutable]
    private sealed class MarkedImmutable
    {
    }

    private sealed class Unregistered
    {
    }

    private sealed class Registered
    {
        public string Value { get; set; } = string.Empty;
    }

    private sealed class DerivedList : List<int>
    {
    }
}
