using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>Exceptions travel back with their type (when allowed), message, remote stack and inner exception.</summary>
public sealed class ExceptionSerializationTests
{
    public ExceptionSerializationTests() => TestManifest.EnsureLoaded();

    [Fact]
    public void A_registered_exception_type_comes_back_as_itself_with_its_message_and_remote_stack()
    {
        var original = Thrown(() => ThrowingMethodOnTheRemoteSide());

        var copy = RoundTrip(original);

        var exception = Assert.IsType<InvalidOperationException>(copy);
        Assert.Equal("remote failure", exception.Message);
        Assert.Equal(original.HResult, exception.HResult);
        Assert.Contains(nameof(ThrowingMethodOnTheRemoteSide), exception.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void The_remote_stack_precedes_the_local_one_once_the_caller_rethrows()
    {
        var copy = RoundTrip(Thrown(() => ThrowingMethodOnTheRemoteSide()));

        var rethrown = Thrown(() => throw copy!);

        var stack = rethrown.StackTrace!;
        Assert.Same(copy, rethrown);
        Assert.True(
            stack.IndexOf(nameof(ThrowingMethodOnTheRemoteSide), StringComparison.Ordinal) < stack.IndexOf(nameof(Thrown), StringComparison.Ordinal),
            stack);
    }

    [Fact]
    public void An_exception_type_that_is_not_allowed_becomes_a_remote_exception()
    {
        var original = Thrown(() => throw new UnregisteredException("custom failure"));

        var copy = RoundTrip(original);

        var remote = Assert.IsType<RemoteException>(copy);
        Assert.Equal(typeof(UnregisteredException).FullName, remote.RemoteTypeName);
        Assert.Equal("custom failure", remote.Message);
        Assert.Contains(nameof(Thrown), remote.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Contains(nameof(UnregisteredException), remote.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_relayed_remote_exception_keeps_the_original_type_name()
    {
        var first = RoundTrip(new UnregisteredException("x"));

        var second = Assert.IsType<RemoteException>(RoundTrip(first!));

        Assert.Equal(typeof(UnregisteredException).FullName, second.RemoteTypeName);
    }

    [Fact]
    public void A_generated_exception_type_keeps_its_members()
    {
        var copy = RoundTrip(new QuotaExceededException("over quota") { Limit = 10 });

        var exception = Assert.IsType<QuotaExceededException>(copy);
        Assert.Equal("over quota", exception.Message);
        Assert.Equal(10, exception.Limit);
    }

    [Fact]
    public void Inner_exceptions_travel_too()
    {
        var copy = RoundTrip(new AgentsException("outer", new TimeoutException("inner", new UnregisteredException("innermost"))));

        Assert.IsType<AgentsException>(copy);
        var inner = Assert.IsType<TimeoutException>(copy!.InnerException);
        Assert.Equal("inner", inner.Message);
        Assert.Equal("innermost", Assert.IsType<RemoteException>(inner.InnerException).Message);
    }

    [Fact]
    public void An_exception_in_an_object_member_round_trips()
    {
        var copy = WireTestKit.RoundTrip(new Envelope { Payload = new DeadlockException("cycle") });

        Assert.Equal("cycle", Assert.IsType<DeadlockException>(copy.Payload).Message);
    }

    private static Exception? RoundTrip(Exception exception)
    {
        var bytes = WireTestKit.Write((ref WireWriter w) => ExceptionCodec.WriteField(ref w, 0, exception));
        return WireTestKit.Read(bytes, (ref WireReader r) => ExceptionCodec.ReadValue(ref r, r.ReadField()));
    }

    private static void ThrowingMethodOnTheRemoteSide() => throw new InvalidOperationException("remote failure");

    private static Exception Thrown(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            return e;
        }

        throw new InvalidOperationException("The action did not throw.");
    }
}
