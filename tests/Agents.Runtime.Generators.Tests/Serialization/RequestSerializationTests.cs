using Agents.Generated.Agents.Runtime.Generators.Tests.Grains;
using Agents.Generated.Agents.Runtime.Generators.Tests.Serialization;
using Agents.Invocation;
using Agents.Runtime.Generators.Tests.Grains;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>What a transport does with a generated request: arguments out and in, then the response back.</summary>
public sealed class RequestSerializationTests
{
    private readonly TestManifestBuilder _manifest = TestManifestBuilder.LoadTestAssemblyManifest();

    [Fact]
    public void Arguments_round_trip_by_position_without_the_cancellation_token()
    {
        var buy = Method<ISerializationProbeGrain>("Buy");
        var sent = (SerializationProbeGrainProxy.BuyRequest)buy.CreateRequest();
        using var cancellation = new CancellationTokenSource();
        sent.Arg0 = new Customer { Name = "Ada", Tags = ["vip"] };
        sent.Arg1 = new Receipt("sku", 1.5m, null);
        sent.CancellationArg = cancellation.Token;

        var bytes = WireTestKit.Write((ref WireWriter w) => sent.WriteArguments(ref w));
        var received = (SerializationProbeGrainProxy.BuyRequest)buy.CreateRequest();
        WireTestKit.Read(bytes, (ref WireReader r) =>
        {
            received.ReadArguments(ref r);
            return r.IsAtEnd;
        });

        Assert.Equal(2, received.ArgumentCount);
        Assert.Equal("Ada", received.Arg0.Name);
        Assert.Equal(["vip"], received.Arg0.Tags);
        Assert.Equal(new Receipt("sku", 1.5m, null), received.Arg1);
        Assert.False(received.CancellationToken.CanBeCanceled);
    }

    [Fact]
    public void Unknown_arguments_are_skipped_and_missing_ones_stay_default()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteInt32(0, 2);
            w.WriteString(9, "from a newer caller");
            w.WriteEndObject();
        });
        var received = (CalculatorGrainProxy.SumRequest)Method<ICalculatorGrain>("Sum").CreateRequest();

        WireTestKit.Read(bytes, (ref WireReader r) =>
        {
            received.ReadArguments(ref r);
            return 0;
        });

        Assert.Equal((2, 0), (received.Arg0, received.Arg1));
    }

    [Fact]
    public async Task A_request_invoked_on_the_callee_side_writes_a_response_the_caller_side_reads()
    {
        var cluster = new TestCluster();
        var reference = cluster.GetGrain<ICalculatorGrain>("remote");
        await reference.Reset();
        var grain = cluster.GrainOf<CalculatorGrain>(reference);

        var sum = Method<ICalculatorGrain>("Sum");
        var caller = (CalculatorGrainProxy.SumRequest)sum.CreateRequest();
        caller.Arg0 = 2;
        caller.Arg1 = 40;
        var arguments = WireTestKit.Write((ref WireWriter w) => caller.WriteArguments(ref w));

        var callee = (CalculatorGrainProxy.SumRequest)sum.CreateRequest();
        WireTestKit.Read(arguments, (ref WireReader r) =>
        {
            callee.ReadArguments(ref r);
            return 0;
        });
        callee.Invoke(grain);
        var response = WireTestKit.Write((ref WireWriter w) => callee.WriteResponse(ref w));

        WireTestKit.Read(response, (ref WireReader r) =>
        {
            caller.ReadResponse(ref r);
            return 0;
        });

        Assert.Null(caller.InvocationException);
        Assert.Equal(42, caller.BoxedResult);
    }

    [Fact]
    public void A_result_of_a_generated_type_round_trips()
    {
        var buy = Method<ISerializationProbeGrain>("Buy");
        var callee = buy.CreateRequest();
        Assert.True(callee.TrySetBoxedResult(new Receipt("sku", 2m, new Point3(1, 2, 3))));

        var caller = buy.CreateRequest();
        var response = WireTestKit.Write((ref WireWriter w) => callee.WriteResponse(ref w));
        WireTestKit.Read(response, (ref WireReader r) =>
        {
            caller.ReadResponse(ref r);
            return 0;
        });

        Assert.Equal(new Receipt("sku", 2m, new Point3(1, 2, 3)), caller.BoxedResult);
    }

    [Fact]
    public void A_failed_invocation_sends_its_exception_back()
    {
        var fail = Method<ICalculatorGrain>("FailAsync");
        var callee = fail.CreateRequest();
        callee.InvocationException = Thrown(() => throw new ArgumentException("bad input"));

        var caller = fail.CreateRequest();
        var response = WireTestKit.Write((ref WireWriter w) => callee.WriteResponse(ref w));
        WireTestKit.Read(response, (ref WireReader r) =>
        {
            caller.ReadResponse(ref r);
            return 0;
        });

        var exception = Assert.IsType<ArgumentException>(caller.InvocationException);
        Assert.Equal("bad input", exception.Message);
        Assert.Contains(nameof(Thrown), exception.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void A_method_without_a_result_answers_with_an_empty_body()
    {
        var fire = Method<ISerializationProbeGrain>("Fire");

        var response = WireTestKit.Write((ref WireWriter w) => fire.CreateRequest().WriteResponse(ref w));

        Assert.Equal([(byte)WireType.EndObject], response);
    }

    [Fact]
    public void A_failure_outside_an_invocation_can_be_answered_directly()
    {
        var response = WireTestKit.Write((ref WireWriter w) => GrainRequest.WriteExceptionResponse(ref w, new SiloUnavailableException("gone")));
        var caller = Method<ICalculatorGrain>("Sum").CreateRequest();

        WireTestKit.Read(response, (ref WireReader r) =>
        {
            caller.ReadResponse(ref r);
            return 0;
        });

        Assert.Equal("gone", Assert.IsType<SiloUnavailableException>(caller.InvocationException).Message);
    }

    [Fact]
    public void Every_generated_method_descriptor_can_create_its_request()
    {
        foreach (var method in _manifest.Interfaces.SelectMany(i => i.Methods))
        {
            Assert.True(method.CanCreateRequest, method.ToString());
            Assert.Same(method, method.CreateRequest().Method);
        }
    }

    [Fact]
    public void Writing_and_reading_primitive_arguments_allocates_nothing()
    {
        var sum = Method<ICalculatorGrain>("Sum");
        var caller = (CalculatorGrainProxy.SumRequest)sum.CreateRequest();
        var callee = (CalculatorGrainProxy.SumRequest)sum.CreateRequest();
        caller.Arg0 = 1;
        caller.Arg1 = -1;
        var output = new System.Buffers.ArrayBufferWriter<byte>(64);
        RoundTripArguments(caller, callee, output);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RoundTripArguments(caller, callee, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal((1, -1), (callee.Arg0, callee.Arg1));
    }

    private static void RoundTripArguments(GrainRequest caller, GrainRequest callee, System.Buffers.ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        var writer = new WireWriter(output);
        caller.WriteArguments(ref writer);
        writer.Flush();
        var reader = new WireReader(output.WrittenSpan);
        callee.ReadArguments(ref reader);
    }

    private GrainMethodDescriptor Method<TInterface>(string name) =>
        _manifest.Interfaces.Single(i => i.InterfaceType == typeof(TInterface)).Methods.Single(m => m.Name == name);

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
