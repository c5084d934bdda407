using System.Diagnostics;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Lifecycle;

public sealed class ActivationTimeoutTests
{
    [Theory]
    [InlineData("ignores-token")]
    [InlineData("honours-token")]
    public async Task An_activation_that_outlives_its_timeout_fails_the_call_with_a_timeout_naming_the_setting(string key)
    {
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.Configure(o => o.ActivationTimeout = TimeSpan.FromMilliseconds(300)))
            .Build();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<ISlowActivationGrain>(key);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => grain.Hello());

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        Assert.Contains($"slowactivation/{key}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Silo:ActivationTimeout", error.Message, StringComparison.Ordinal);
        Assert.False(cluster.IsActive(grain.GetGrainId()));
        // Other grains are unaffected.
        Assert.Equal(3, await cluster.Client.GetGrain<ICallGrain>("bystander").Add(1, 2));
    }
}
