using Agents.Agents;
using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>Two agents publishing on each other's topics stop at Agents:Service:MaxSignalHops, with a dead letter that names the loop.</summary>
public sealed class SignalLoopTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          ping:
            role: router
            settings: { rules: [], otherwise: loop.pong }
          pong:
            role: router
            settings: { rules: [], otherwise: loop.ping }
        routes:
          - topic: loop.ping
            agent: ping
            key: { fixed: one }
          - topic: loop.pong
            agent: pong
            key: { fixed: one }
        """;

    private readonly TestCluster _cluster = RoleCluster.Builder(Yaml, settings: new Dictionary<string, string?> { ["Agents:Service:MaxSignalHops"] = "5" }).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_loop_between_agents_ends_at_the_hop_limit_with_a_dead_letter_naming_it()
    {
        var first = await _cluster.PublishAsync("loop.ping", new { n = 1 });

        DeadLetter? letter = null;
        await Eventually.HoldsAsync(async () =>
        {
            letter = (await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100)).SingleOrDefault();
            return letter is not null;
        }, "the signal that would have gone past the limit is dead-lettered");

        Assert.Equal(typeof(SignalLoopException).FullName, letter!.ErrorType);
        Assert.Equal(1, letter.Attempts); // a loop is not retried
        Assert.Equal(5, letter.Signal.Hops);
        Assert.Equal(first.Id, letter.Signal.CorrelationId);
        Assert.Contains("a signal 6 hops from the one that began its chain", letter.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("past Agents:Service:MaxSignalHops (5)", letter.ErrorMessage, StringComparison.Ordinal);

        // Hops 0, 2, 4 reached ping and 1, 3, 5 pong (whose publish of hop 6 failed); nothing more goes round.
        await Task.Delay(300);
        Assert.Equal(3, (await _cluster.DescribeAsync("ping", "one")).SignalsHandled);
        Assert.Equal(2, (await _cluster.DescribeAsync("pong", "one")).SignalsHandled);
        Assert.Equal(1, (await _cluster.DescribeAsync("pong", "one")).SignalsDeadLettered);
    }
}
