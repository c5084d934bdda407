using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;

namespace Agents.Runtime.Tests.Calls;

public sealed class ReentrancyTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task With_call_chain_reentrancy_a_call_back_into_the_chain_proceeds()
    {
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.Configure(o => o.AllowCallChainReentrancy = true))
            .Build();
        await cluster.DeployAsync();

        var answer = await cluster.Client.GetGrain<ICallGrain>("chain-a").CallThrough("chain-b");

        Assert.Equal("pong from chain-a", answer);
    }

    [Fact]
    public async Task Read_only_requests_run_together_and_a_write_waits_for_them()
    {
        var grain = fixture.Client.GetGrain<IReadOnlyProbeGrain>("readers");

        var readers = Enumerable.Range(0, 4).Select(_ => grain.Read(300)).ToArray();
        await Task.Delay(50);
        var write = grain.Write();
        var maxReaders = await Task.WhenAll(readers);

        Assert.Equal(4, maxReaders.Max());
        Assert.Equal(0, await write);
    }
}
