using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>What every regression test uses: a fresh run key, the time bound of a wait, and a cluster that cannot hang the run.</summary>
internal static class RegressionHarness
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    public static string NewRun() => "regression-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Deploys <paramref name="cluster"/>; disposing the result stops it within 3 s, so a wedged grain cannot hide a test's own failure.</summary>
    public static async Task<IAsyncDisposable> StartAsync(TestCluster cluster)
    {
        await cluster.DeployAsync();
        return new BoundedStop(cluster);
    }

    private sealed class BoundedStop(TestCluster cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await cluster.StopAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // A grain the test left wedged (the bug under test) keeps shutdown waiting; do not wait for it.
            }
        }
    }
}

/// <summary>
/// Tests that deliberately saturate the CPU run alone, never beside the timing-sensitive tests of
/// other classes (xunit runs a collection with parallelization disabled by itself).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "Stress";
}
