using System.Text;
using Agents.Runtime.Generators.Tests.Grains;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary><c>object</c> and interface members travel by runtime type, which must be on the allow-list.</summary>
public sealed class PolymorphismTests
{
    public PolymorphismTests() => TestManifest.EnsureLoaded();

    [Fact]
    public void An_object_member_holding_an_allowed_type_round_trips_with_its_type()
    {
        var envelope = new Envelope { Payload = new OrderSummary("Ada", 2), Numbers = new List<int> { 1, 2 } };

        var copy = WireTestKit.RoundTrip(envelope);

        Assert.Equal(new OrderSummary("Ada", 2), Assert.IsType<OrderSummary>(copy.Payload));
        Assert.Equal([1, 2], Assert.IsType<List<int>>(copy.Numbers));
    }

    [Fact]
    public void Built_in_and_generic_runtime_types_are_allowed_without_registration()
    {
        Assert.Equal(42, WireTestKit.RoundTrip(new Envelope { Payload = 42 }).Payload);
        var nested = Assert.IsType<Dictionary<string, Point3[]>>(
            WireTestKit.RoundTrip(new Envelope { Payload = new Dictionary<string, Point3[]> { ["p"] = [new Point3(1, 2, 3)] } }).Payload);
        Assert.Equal(new Point3(1, 2, 3), Assert.Single(nested["p"]));
    }

    [Fact]
    public void A_type_reference_to_an_alias_that_is_not_registered_is_rejected_without_loading_anything()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteStartObject(0);
            w.WriteFieldHeader(0, WireType.Typed);
            w.WriteRaw(TypeReferences.EncodeNamed("System.Diagnostics.Process, System.Diagnostics.Process", 0));
            w.WriteStartObject(0);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        var loadedBefore = AppDomain.CurrentDomain.GetAssemblies().Length;

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<Envelope>(bytes));

        Assert.Contains("type 'System.Diagnostics.Process, System.Diagnostics.Process' is not allowed", error.Message, StringComparison.Ordinal);
        Assert.Equal(loadedBefore, AppDomain.CurrentDomain.GetAssemblies().Length);
    }

    [Fact]
    public void An_unknown_well_known_id_is_rejected()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteFieldHeader(0, WireType.Typed);
            w.WriteRaw(TypeReferences.EncodeWellKnown(63, 0));
            w.WriteInt32(0, 1);
        });

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<object>(bytes));

        Assert.Contains("is not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_a_type_that_is_not_allowed_is_refused_when_sending()
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.SerializeToArray(new Envelope { Payload = new StringBuilder("x") }));

        Assert.Contains("'System.Text.StringBuilder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed on the wire", error.Message, StringComparison.Ordinal);
        Assert.False(TypeManifest.IsAllowed(typeof(StringBuilder)));
        Assert.False(TypeManifest.IsAllowed(typeof(List<StringBuilder>)));
    }

    [Fact]
    public void A_typed_value_that_does_not_fit_the_static_type_is_rejected()
    {
        var bytes = Serializer.SerializeToArray<object>("text");

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<Shape>(bytes));

        Assert.Contains("'System.String' where a 'Agents.Runtime.Generators.Tests.Grains.Shape' was expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_an_alias_for_a_second_type_is_an_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TypeManifest.Register("test.order-summary", StringCodec.Instance));

        Assert.Contains("'test.order-summary'", error.Message, StringComparison.Ordinal);
    }
}
