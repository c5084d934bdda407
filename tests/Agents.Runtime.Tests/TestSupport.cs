using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests;

/// <summary>A silo with memory storage and memory streams, shared by the tests of a class.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; } = new TestClusterBuilder()
        .ConfigureSilo(silo => silo.AddMemoryGrainStorageAsDefault().AddMemoryStreams("Default"))
        .Build();

    public IClusterClient Client => Cluster.Client;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public Task DisposeAsync() => Cluster.StopAsync();
}

