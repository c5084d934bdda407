using Agents.Runtime.Testing;
using Agents.Serialization;
using Agents.Signals;
using Agents.Streams;

namespace Agents.Grains.Tests.Signals;

/// <summary>
/// A signal computes its id's fingerprint and its size estimate once (SignalDerived.cs): agents skip redeliveries by the
/// fingerprint and deliveries are cut to a frame by the size, so a stale value would drop a signal or overflow a frame.
/// </summary>
public sealed class SignalDerivedTests
{
    private static int SizeOf(Signal signal) => ((IStreamItemSize)signal).ApproximateSize;

    [Fact]
    public void A_copy_with_another_id_fingerprints_its_own_id()
    {
        var original = Signal.Create("tickets.created", """{"n":1}""", "/tests");
        var originalFingerprint = original.IdFingerprint; // computed before the copy is made

        var copy = original with { Id = "redelivered-as-new" };

        Assert.Equal(SignalIds.Fingerprint(original.Id), originalFingerprint);
        Assert.Equal(SignalIds.Fingerprint("redelivered-as-new"), copy.IdFingerprint);
        Assert.NotEqual(originalFingerprint, copy.IdFingerprint);
    }

    [Fact]
    public void A_copy_with_more_data_is_sized_by_its_own_data()
    {
        var original = Signal.Create("tickets.created", """{"n":1}""", "/tests");
        var small = SizeOf(original);

        var copy = original with { Data = $$"""{"text":"{{new string('x', 10_000)}}"}""", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

        Assert.Equal(small, SizeOf(original));
        Assert.True(SizeOf(copy) >= small + (3 * 10_000), $"the copy's estimate {SizeOf(copy)} does not cover its 10,000 more characters");
    }

    [Fact]
    public void Computed_values_are_not_part_of_a_signals_value()
    {
        var computed = Signal.Create("tickets.created", """{"n":1}""", "/tests", subject: "alice");
        computed.Derive();
        var fresh = computed with { }; // the same fields, nothing computed

        Assert.Equal(computed, fresh);
        Assert.Equal(computed.GetHashCode(), fresh.GetHashCode());
        Assert.Equal(computed.IdFingerprint, fresh.IdFingerprint);
    }

    [Fact]
    public void A_signal_read_off_the_wire_fingerprints_its_id()
    {
        WireTypes.Register(typeof(Signal).Assembly); // as a silo does; this test starts none
        var sent = Signal.Create("tickets.created", """{"n":1}""", "/tests") with { Id = "wire-1" };
        sent.Derive();

        var received = Serializer.Deserialize<Signal>(Serializer.SerializeToArray(sent));

        Assert.Equal(sent, received);
        Assert.Equal(SignalIds.Fingerprint("wire-1"), received.IdFingerprint);
        Assert.Equal(SizeOf(sent), SizeOf(received));
    }
}
