using Agents.Runtime.Hosting;
using Agents.Runtime.Storage;
using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests.Cluster;

/// <summary>Builds test clusters whose silos share one durable store, as silos of a real cluster share a database.</summary>
internal static class ClusterSetup
{
    public static TestClusterBuilder Builder(int silos, MemoryGrainStorage? store = null)
    {
        var shared = store ?? new MemoryGrainStorage("Default");
        return new TestClusterBuilder()
            .WithSilos(silos)
            .WithFastFailureDetection()
            .ConfigureSilo(silo => silo.AddGrainStorage("Default", (_, _) => shared));
    }
}

/// <summary>Multi-silo tests run one at a time: each starts several silos with their listeners and timers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
