using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Configuration;

namespace Agents.Grains.Tests.Agents;

/// <summary>A dispatcher collected while a delivery is in flight does not let its successor overtake it.</summary>
public sealed class DispatcherDeactivationTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = new TestClusterBuilder()
        .WithConfiguration("Agents:Silo:CollectionAge", "00:00:01")
        .WithConfiguration("Agents:Silo:CollectionQuantum", "00:00:00.200")
        .ConfigureSilo(silo => silo.AddMemoryGrainStorageAsDefault().AddMemoryStreams("Default"))
        .ConfigureServices(services => services.AddAgentsService(new ConfigurationBuilder().Build(), agents => agents
            .AddAgent<GatedAgent>("gated")
            .UseTopology(TopologyLoader.Load(
                "agents: { gated: {} }\nroutes:\n  - topic: gated.#\n    agent: gated\n    key: { fixed: one }\n",
                "agents.yaml",
                new TopologyValidationContext(["gated"])))))
        .AddGrainAssembly(typeof(AgentGrain).Assembly)
        .AddGrainAssembly(typeof(GatedAgent).Assembly)
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync()
    {
        GatedAgent.Gate.TrySetResult();
        return _cluster.StopAsync();
    }

    private Task PublishAsync(int n) => _cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(Signal.Create("gated.orders", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "/tests"));

    [Fact]
    public async Task Signals_published_while_the_dispatcher_is_being_collected_reach_the_agent_after_the_ones_it_still_carried()
    {
        GatedAgent.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GatedAgent.Handled.Clear();

        // 1 goes out alone and blocks the agent; 2 and 3 wait in the dispatcher's lane behind it.
        await PublishAsync(1);
        await PublishAsync(2);
        await PublishAsync(3);

        // The dispatcher is idle now (its lane waits on the agent): let idle collection take it.
        var collectionsBefore = _cluster.Logs.Entries.Count(e => e.EventId.Id == 1006);
        await Eventually.HoldsAsync(() => _cluster.Logs.Entries.Count(e => e.EventId.Id == 1006) > collectionsBefore, "idle collection runs");
        await Task.Delay(300);

        // Time for 4 to reach a new dispatcher and the agent, were one to take it while 2 and 3 still wait.
        await PublishAsync(4);
        await Task.Delay(500);
        GatedAgent.Gate.SetResult();

        await Eventually.HoldsAsync(() => GatedAgent.Handled.Count == 4, "the agent handles all four signals");
        Assert.Equal([1, 2, 3, 4], GatedAgent.Handled);
    }
}
