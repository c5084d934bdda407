using System.Diagnostics;
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

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes (then fails with <paramref name="because"/>).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit}: {because}");
            }

            await Task.Delay(10);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), because, timeout);
}
