using System.Collections.Immutable;
using Agents.Runtime.Generators.Tests.Grains;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>Codecs the generator emitted for this assembly's types.</summary>
public sealed class GeneratedCodecTests
{
    public GeneratedCodecTests() => TestManifest.EnsureLoaded();

    [Fact]
    public void A_type_with_nested_types_collections_and_nullables_round_trips()
    {
        var customer = new Customer
        {
            Name = "Ada",
            Home = new Address { City = "London", Zip = null },
            Shipping = [new Address { City = "Paris", Zip = 75001 }],
            Scores = new Dictionary<string, List<int>> { ["math"] = [10, 9] },
            Age = 36,
            Id = Guid.NewGuid(),
            Tier = Tier.Gold,
            Numbers = [1, 2],
            Tags = ["vip"],
            History = [1L, 2L, 3L],
            Since = DateTimeOffset.UnixEpoch,
            Location = new Point3(1, 2, 3),
        };
        customer.Credit(12.5m);
        customer.Notes.Add("first");

        var copy = WireTestKit.RoundTrip(customer);

        Assert.NotSame(customer, copy);
        Assert.Equal("Ada", copy.Name);
        Assert.Equal("London", copy.Home!.Value.City);
        Assert.Null(copy.Home.Value.Zip);
        Assert.Equal(75001, Assert.Single(copy.Shipping).Zip);
        Assert.Equal([10, 9], copy.Scores["math"]);
        Assert.Equal(36, copy.Age);
        Assert.Equal(customer.Id, copy.Id);
        Assert.Equal(Tier.Gold, copy.Tier);
        Assert.Equal([1, 2], copy.Numbers!);
        Assert.Equal(["vip"], copy.Tags);
        Assert.Equal([1L, 2L, 3L], copy.History.ToArray());
        Assert.Equal(DateTimeOffset.UnixEpoch, copy.Since);
        Assert.Equal(new Point3(1, 2, 3), copy.Location);
        Assert.Equal(12.5m, copy.Balance);
        Assert.Equal(["first"], copy.Notes);
    }

    [Fact]
    public void Null_members_stay_null_and_defaults_stay_default()
    {
        var copy = WireTestKit.RoundTrip(new Customer { Name = null!, Shipping = null!, Numbers = null });

        Assert.Null(copy.Name);
        Assert.Null(copy.Shipping);
        Assert.Null(copy.Numbers);
        Assert.Null(copy.Home);
        Assert.Null(copy.Age);
        Assert.True(copy.History.IsDefault);
    }

    [Fact]
    public void Private_readonly_and_init_only_members_are_written_and_read()
    {
        var order = new Order { Customer = "Ada", Lines = [new OrderLine { Sku = "a", Quantity = 2 }], Tags = new() { ["k"] = "v" } };
        order.Notes.Add("fragile");
        order.Bump();

        var copy = WireTestKit.RoundTrip(order);

        Assert.Equal("Ada", copy.Customer);
        Assert.Equal(2, Assert.Single(copy.Lines).Quantity);
        Assert.Equal("v", copy.Tags["k"]);
        Assert.Equal(["fragile"], copy.Notes);
        Assert.Equal(1, copy.Revision);
    }

    [Fact]
    public void A_type_without_a_parameterless_constructor_is_read_through_its_backing_fields()
    {
        var snapshot = new Snapshot("s1");
        snapshot.Values.Add(7);

        var copy = WireTestKit.RoundTrip(snapshot);

        Assert.Equal("s1", copy.Name);
        Assert.Equal([7], copy.Values);
    }

    [Fact]
    public void Positional_records_round_trip_with_explicit_and_implicit_ids()
    {
        Assert.Equal(new Point3(4, 5, 6), WireTestKit.RoundTrip(new Point3(4, 5, 6)));
        Assert.Equal(new OrderSummary("Ada", 3), WireTestKit.RoundTrip(new OrderSummary("Ada", 3)));
    }

    [Fact]
    public void A_record_sent_by_a_grain_method_gets_a_codec_without_being_marked()
    {
        var receipt = new Receipt("sku-1", 9.99m, new Point3(1, 1, 1));

        Assert.Equal(receipt, WireTestKit.RoundTrip(receipt));
        Assert.Equal("Agents.Runtime.Generators.Tests.Serialization.Receipt", TypeManifest.GetAlias(typeof(Receipt)));
    }

    [Fact]
    public void A_derived_value_in_a_base_typed_member_keeps_its_type()
    {
        var shapes = new List<Shape> { new Circle { Name = "c", Radius = 2 }, new Shape { Name = "plain" } };

        var copy = WireTestKit.RoundTrip(shapes);

        var circle = Assert.IsType<Circle>(copy[0]);
        Assert.Equal(("c", 2.0), (circle.Name, circle.Radius));
        Assert.Equal("plain", Assert.IsType<Shape>(copy[1]).Name);
    }

    [Fact]
    public void A_struct_round_trips()
    {
        var copy = WireTestKit.RoundTrip(new Measurement { Value = 1.5, History = [0.5] });

        Assert.Equal(1.5, copy.Value);
        Assert.Equal([0.5], copy.History);
    }

    [Fact]
    public void Struct_members_behind_accessors_round_trip()
    {
        var reading = WireTestKit.RoundTrip(new Reading(7, "kWh"));
        var money = WireTestKit.RoundTrip(new Money(1.5m, "EUR"));

        Assert.Equal((7, "kWh"), (reading.Raw, reading.Unit));
        Assert.Equal(new Money(1.5m, "EUR"), money);
    }

    [Fact]
    public void Private_constructors_required_members_and_base_class_members_round_trip()
    {
        var accounts = WireTestKit.RoundTrip(new List<Account> { new("Ada", 10m), new SavingsAccount("Grace", 20m, 0.05) });

        Assert.Equal(("Ada", 10m), (accounts[0].Owner, accounts[0].Limit));
        var savings = Assert.IsType<SavingsAccount>(accounts[1]);
        Assert.Equal(("Grace", 20m, 0.05), (savings.Owner, savings.Limit, savings.Rate));
    }

    [Fact]
    public void Generated_codecs_are_registered_under_their_aliases()
    {
        Assert.Equal("test.order-summary", TypeManifest.GetAlias(typeof(OrderSummary)));
        Assert.Equal("test.tier", TypeManifest.GetAlias(typeof(Tier)));
        Assert.IsType<Agents.Generated.Agents_Runtime_Generators_TestsCodecs.Codec_Order_4AEAB188>(TypeManifest.GetCodec<Order>());
        Assert.True(TypeManifest.IsAllowed(typeof(Dictionary<string, ImmutableArray<Point3>>)));
    }
}
