using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.SupportDesk;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Tests.Shared;

/// <summary>Test silos running the default support-desk topology (agents.yaml copied beside the tests) on memory storage and streams.</summary>
internal static class SupportDeskCluster
{
    public static TestClusterBuilder Builder(int silos = 1) => new TestClusterBuilder()
        .WithSilos(silos)
        .ConfigureSilo(silo => silo.AddMemoryGrainStorageAsDefault().AddMemoryStreams("Default"))
        .ConfigureServices(services => services.AddAgentsService(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Agents:Service:TopologyFile"] = Path.Combine(AppContext.BaseDirectory, SupportDeskExtensions.TopologyFile),
            }).Build(),
            agents => agents.AddSupportDesk()))
        .AddGrainAssembly(typeof(AgentGrain).Assembly);
}
