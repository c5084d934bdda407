using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Calls;

public sealed class FilterTests
{
    [Fact]
    public async Task Incoming_and_outgoing_filters_wrap_calls_and_can_replace_results()
    {
        var incoming = new RecordingIncomingFilter();
        var outgoing = new RecordingOutgoingFilter();
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddIncomingGrainCallFilter(incoming).AddOutgoingGrainCallFilter(outgoing))
            .Build();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<ICallGrain>("filtered");

        Assert.Equal(3, await grain.Add(1, 2));
        Assert.Equal("replaced", await grain.Echo("original"));
        var error = await Assert.ThrowsAsync<GrainFailureException>(() => grain.Throw("through filters"));
        Assert.Equal("through filters", error.Message);

        Assert.Contains("in:ICallGrain.Add->3", incoming.Seen);
        Assert.Contains("out:ICallGrain.Add->3", outgoing.Seen);
        Assert.Contains("in:ICallGrain.Throw!GrainFailureException", incoming.Seen);
    }

    private sealed class RecordingIncomingFilter : IIncomingGrainCallFilter
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Seen { get; } = [];

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            Assert.NotNull(Core.RuntimeContext.Current);
            try
            {
                await context.Invoke();
                if (context.Method.Name == nameof(ICallGrain.Echo))
                {
                    context.Result = "replaced";
                }

                Seen.Add($"in:{context.Method}->{context.Result}");
            }
            catch (Exception exception)
            {
                Seen.Add($"in:{context.Method}!{exception.GetType().Name}");
                throw;
            }
        }
    }

    private sealed class RecordingOutgoingFilter : IOutgoingGrainCallFilter
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Seen { get; } = [];

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            await context.Invoke();
            Seen.Add($"out:{context.Method}->{context.Result}");
        }
    }
}
