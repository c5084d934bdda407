using Agents.Runtime.Generators.Tests.Grains;

namespace Agents.Runtime.Generators.Tests.Runtime;

/// <summary>Local calls never share mutable objects between caller and callee.</summary>
public sealed class CopyingTests
{
    private readonly TestCluster _cluster = new();

    [Fact]
    public async Task The_callee_mutating_a_list_argument_does_not_change_the_callers_list()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(10);
        var items = new List<string> { "apple" };

        var count = await inventory.AddItems(items);

        Assert.Equal(2, count);
        Assert.Equal(["apple"], items);
    }

    [Fact]
    public async Task A_returned_mutable_result_is_a_copy()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(11);
        await inventory.AddItems(["pear"]);
        var grain = _cluster.GrainOf<InventoryGrain>(inventory);

        var result = await inventory.GetItems();
        result.Add("caller-change");

        Assert.NotSame(grain.State.State.Items, result);
        Assert.Equal(["pear", "added-by-grain"], grain.State.State.Items);
    }

    [Fact]
    public async Task A_generated_copier_copies_every_id_member_deeply()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(12);
        var order = new Order
        {
            Customer = "Ada",
            Lines = [new OrderLine { Sku = "a", Quantity = 2 }],
            Tags = new Dictionary<string, string> { ["priority"] = "high" },
            Transient = "not copied",
        };
        order.Notes.Add("fragile");
        order.Bump();

        var returned = await inventory.Submit(order);
        var kept = _cluster.GrainOf<InventoryGrain>(inventory).LastOrder!;

        // The caller's order is untouched by what the grain did to its copy.
        Assert.Equal("Ada", order.Customer);
        Assert.Single(order.Lines);
        Assert.Equal(["fragile"], order.Notes);
        Assert.Equal(1, order.Revision);

        // The grain saw a full copy: public, init-only, private and readonly members.
        Assert.NotSame(order, kept);
        Assert.NotSame(order.Lines[0], kept.Lines[0]);
        Assert.NotSame(order.Tags, kept.Tags);
        Assert.Equal("high", kept.Tags["priority"]);
        Assert.Equal(2, kept.Revision);
        Assert.Equal(["fragile", "seen"], kept.Notes);
        Assert.Equal(string.Empty, kept.Transient);

        // And the caller got a copy of the grain's object, not the object itself.
        Assert.NotSame(kept, returned);
        Assert.Equal("Ada (submitted)", returned.Customer);
        Assert.Equal(2, returned.Lines.Count);
        returned.Lines.Clear();
        Assert.Equal(2, kept.Lines.Count);
    }

    [Fact]
    public async Task A_derived_type_is_copied_by_its_own_copier()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(13);
        var circle = new Circle { Name = "c", Radius = 2 };

        var resized = await inventory.Resize(circle, 3);

        Assert.Equal(2, circle.Radius);
        var copy = Assert.IsType<Circle>(resized);
        Assert.Equal(6, copy.Radius);
        Assert.Equal("c", copy.Name);
    }

    [Fact]
    public async Task A_struct_holding_a_list_gets_its_own_list()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(14);
        var measurement = new Measurement { Value = 1.5, History = [0.5] };

        var recorded = await inventory.Record(measurement);

        Assert.Equal([0.5], measurement.History);
        Assert.Equal([0.5, 1.5], recorded.History);
    }

    [Fact]
    public async Task A_type_without_a_parameterless_constructor_is_copied_through_its_backing_fields()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(15);
        var snapshot = new Snapshot("s1");
        snapshot.Values.Add(1);

        var snapped = await inventory.Snap(snapshot);

        Assert.Equal([1], snapshot.Values);
        Assert.Equal("s1", snapped.Name);
        Assert.Equal([1, -1], snapped.Values);
    }

    [Fact]
    public async Task Nested_collections_and_arrays_are_copied_element_wise()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(16);
        var groups = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase) { ["a"] = [1] };
        var numbers = new[] { 1, 2 };

        var grouped = await inventory.Group(groups);
        var doubled = await inventory.Double(numbers);

        Assert.Equal([1], groups["a"]);
        Assert.Equal([1, 0], grouped["A"]);
        Assert.Equal([1, 2], numbers);
        Assert.Equal([2, 4], doubled);
    }

    [Fact]
    public async Task An_object_argument_is_copied_by_its_runtime_type()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(17);
        var list = new List<string> { "x" };

        var roundtripped = await inventory.Roundtrip(list);
        var text = await inventory.Roundtrip("shared");

        Assert.NotSame(list, roundtripped);
        Assert.Equal(list, Assert.IsType<List<string>>(roundtripped));
        Assert.Equal("shared", text);
    }

    [Fact]
    public async Task An_object_argument_of_an_unknown_mutable_type_fails_the_call_clearly()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(18);

        var exception = await Assert.ThrowsAsync<NotSupportedException>(() => inventory.Roundtrip(new System.Text.StringBuilder("x")));

        Assert.Contains("System.Text.StringBuilder", exception.Message, StringComparison.Ordinal);
        Assert.Contains("[GenerateSerializer]", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_and_immutable_parameters_are_shared_not_copied()
    {
        var inventory = _cluster.GetGrain<IInventoryGrain>(19);
        var summary = new OrderSummary("Ada", 3);
        var items = new List<string> { "kept" };

        var returned = await inventory.Summarize(summary);
        await inventory.KeepsReference(items);
        var sameListSeenTwice = await inventory.KeepsReference(items);

        Assert.Same(summary, returned);
        Assert.True(sameListSeenTwice);
    }
}
