using System.Diagnostics;
using Agents.Runtime.Membership;
using Agents.Runtime.Testing;
using Agents.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agents.Client.Tests;

[Collection(ClientCollection.Name)]
public sealed class GatewayClientTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = new TestClusterBuilder().WithSilos(2).WithFastFailureDetection().Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_client_with_a_static_gateway_calls_grains_anywhere_in_the_cluster()
    {
        using var host = await StartClientAsync(o => o.Gateways.Add($"127.0.0.1:{_cluster.Silos[0].GatewayPort}"));
        var client = host.Services.GetRequiredService<IClusterClient>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetGrain<IGreeterGrain>($"static-{i}").Greet(new Greeting { To = $"#{i}", Times = 2 })));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"hello #{i} hello #{i}"), answers);
        Assert.True(_cluster.Silos[1].ActivationCount > 0, "the gateway routed no grain to the other silo");
    }

    [Fact]
    public async Task Exceptions_come_back_to_the_client_with_their_type_and_message()
    {
        using var host = await StartClientAsync(o => o.Gateways.Add($"127.0.0.1:{_cluster.Silos[0].GatewayPort}"));
        var client = host.Services.GetRequiredService<IClusterClient>();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetGrain<IGreeterGrain>("failing").Fail("no greetings today"));

        Assert.Equal("no greetings today", error.Message);
    }

    [Fact]
    public async Task A_client_finds_gateways_in_the_membership_table()
    {
        using var host = await StartClientAsync(_ => { }, services => services.AddSingleton(_cluster.MembershipTable!));
        var client = host.Services.GetRequiredService<GatewayClusterClient>();

        Assert.Equal(2, client.Gateways.Count);
        Assert.Equal("hello table", await client.GetGrain<IGreeterGrain>("table").Greet(new Greeting { To = "table", Times = 1 }));
    }

    [Fact]
    public async Task When_its_gateway_dies_the_client_fails_calls_in_flight_fast_and_moves_to_another_gateway()
    {
        var gateways = _cluster.Silos.Select(s => $"127.0.0.1:{s.GatewayPort}").ToArray();
        using var host = await StartClientAsync(o =>
        {
            foreach (var gateway in gateways)
            {
                o.Gateways.Add(gateway);
            }
        });
        var client = host.Services.GetRequiredService<GatewayClusterClient>();
        await client.GetGrain<IGreeterGrain>("before").Greet(new Greeting { To = "before", Times = 1 });
        var connected = client.ConnectedGateway?.ToString() ?? throw new InvalidOperationException("not connected");
        var dying = _cluster.Silos.Single(s => connected.EndsWith($":{s.GatewayPort}", StringComparison.Ordinal));
        var inFlight = client.GetGrain<IGreeterGrain>($"slow-{Guid.NewGuid():N}").Slow(TimeSpan.FromSeconds(6));

        var clock = Stopwatch.StartNew();
        await _cluster.KillSiloAsync(dying);

        await Assert.ThrowsAsync<SiloUnavailableException>(() => inFlight);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the call in flight failed after {clock.Elapsed}");
        var survivor = _cluster.RunningSilos.Single();

        // The next call opens a connection to the other gateway; a burst made meanwhile waits for it and keeps its order.
        var sequence = client.GetGrain<ISequenceGrain>($"order-{Guid.NewGuid():N}");
        for (var n = 0; n < 100; n++)
        {
            _ = sequence.Append(n);
        }

        await Eventually(async () =>
        {
            try
            {
                return (await sequence.Seen()).Count == 100;
            }
            catch (SiloUnavailableException)
            {
                return false;
            }
        });
        Assert.Equal(Enumerable.Range(0, 100), await sequence.Seen());
        await Eventually(async () =>
        {
            try
            {
                return await client.GetGrain<IGreeterGrain>($"after-{Guid.NewGuid():N}").Greet(new Greeting { To = "after", Times = 1 }) == "hello after";
            }
            catch (SiloUnavailableException)
            {
                return false;
            }
        });
        Assert.EndsWith($":{survivor.GatewayPort}", client.ConnectedGateway!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_whose_silo_died_is_forgotten_once_the_table_says_so_instead_of_reconnected_for_ever()
    {
        using var host = await StartClientAsync(o => o.GatewayRefreshPeriod = TimeSpan.FromMilliseconds(200), services => services.AddSingleton(_cluster.MembershipTable!));
        var client = host.Services.GetRequiredService<GatewayClusterClient>();
        await client.GetGrain<IGreeterGrain>("before-death").Greet(new Greeting { To = "x", Times = 1 });
        var connected = client.ConnectedGateway ?? throw new InvalidOperationException("not connected");
        var dying = _cluster.Silos.Single(s => connected.ToString()!.EndsWith($":{s.GatewayPort}", StringComparison.Ordinal));
        Assert.Contains(connected, client.MaintainedGateways);

        await _cluster.KillSiloAsync(dying);

        // The membership protocol declares the silo dead; the next refresh drops its gateway and stops reconnecting to it.
        await Eventually(() => Task.FromResult(!client.MaintainedGateways.Contains(connected) && !client.Gateways.Contains(connected)));
        var survivor = _cluster.RunningSilos.Single();
        Assert.Equal("hello y", await client.GetGrain<IGreeterGrain>("after-death").Greet(new Greeting { To = "y", Times = 1 }));
        Assert.EndsWith($":{survivor.GatewayPort}", client.ConnectedGateway!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_with_no_reachable_gateway_fails_to_start_naming_what_it_tried()
    {
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => StartClientAsync(o => o.Gateways.Add("127.0.0.1:1")));

        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    private static async Task<IHost> StartClientAsync(Action<AgentsClientOptions> configure, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Agents:Networking:ReconnectInitialDelay"] = "00:00:00.050" });
        builder.Services.AddAgentsClient(configure);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the client did not recover within 10 s");
            await Task.Delay(50);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientCollection
{
    public const string Name = "Client";
}
