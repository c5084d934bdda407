using System.Diagnostics;
using Agents.Client;
using Agents.Runtime.Membership;
using Agents.Silo.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Agents.Silo.Tests;

/// <summary>
/// Three real Agents.Silo processes on 127.0.0.1 form a cluster through PostgreSQL; one is killed
/// with SIGKILL under a steady load of calls that write state.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class KillNineTests(ITestOutputHelper output)
{
    private const int Writers = 12;

    [Fact]
    public async Task Under_write_load_a_killed_silo_loses_no_acknowledged_write_is_declared_dead_and_its_grains_answer_from_the_survivors()
    {
        await using var cluster = await SiloProcessCluster.CreateAsync("faults-" + Guid.NewGuid().ToString("N")[..6]);
        var silos = new[] { await cluster.StartSiloAsync("silo-a"), await cluster.StartSiloAsync("silo-b"), await cluster.StartSiloAsync("silo-c") };
        var formed = await cluster.Table.ReadAllAsync();
        Assert.Equal(3, formed.Entries.Count(e => e.Entry.Status == SiloStatus.Active));
        output.WriteLine($"cluster formed: {string.Join(", ", formed.Entries.Select(e => e.Entry.Silo))}");

        using var client = await StartClientAsync(cluster.ClusterId, silos.Select(s => $"127.0.0.1:{s.GatewayPort}"));
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var acknowledged = new long[Writers];
        var failed = new long[Writers];
        var lastSuccess = new long[Writers];
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            var account = grains.GetGrain<IAccountGrain>($"load-{i:00}");
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await account.Deposit(1);
                    acknowledged[i]++;
                    Volatile.Write(ref lastSuccess[i], clock.ElapsedTicks);
                }
                catch (Exception error)
                {
                    // Not acknowledged: the deposit may or may not have been applied.
                    if (failed[i]++ == 0)
                    {
                        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s: load-{i:00} first failure: {error.GetType().Name}: {error.Message}");
                    }

                    await Task.Delay(50);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        // Kill a silo that hosts grains but is not the client's gateway (gateway failover has its own test).
        var gateway = client.Services.GetRequiredService<GatewayClusterClient>().ConnectedGateway?.ToString();
        var victim = silos.First(s => gateway is null || !gateway.EndsWith($":{s.GatewayPort}", StringComparison.Ordinal));
        await victim.KillAsync();
        // From the moment the process is gone: nothing it answered can count as an answer after the kill.
        var killedAt = clock.Elapsed;
        output.WriteLine($"{killedAt.TotalSeconds:F1}s: killed {victim.Name} (pid {victim.ProcessId}) after {acknowledged.Sum()} acknowledged deposits");

        TimeSpan? declaredDead = null;
        TimeSpan? allAnswering = null;
        while (clock.Elapsed - killedAt < TimeSpan.FromSeconds(20) && (declaredDead is null || allAnswering is null))
        {
            if (declaredDead is null && (await cluster.StatusOfAsync(victim.SiloPort)).All(s => s.Status == SiloStatus.Dead))
            {
                declaredDead = clock.Elapsed - killedAt;
                output.WriteLine($"declared dead {declaredDead.Value.TotalSeconds:F1}s after the kill");
            }

            var killedTicks = (long)(killedAt.TotalSeconds * Stopwatch.Frequency);
            if (allAnswering is null && lastSuccess.All(t => Volatile.Read(ref t) > killedTicks))
            {
                // Each grain has answered since the kill: those that lived on the victim were reactivated.
                allAnswering = clock.Elapsed - killedAt;
                output.WriteLine($"every grain answered again {allAnswering.Value.TotalSeconds:F1}s after the kill");
            }

            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await Task.WhenAll(load);
        output.WriteLine($"load: {acknowledged.Sum()} acknowledged, {failed.Sum()} failed deposits (per writer: {string.Join(" ", failed)})");

        for (var i = 0; i < Writers; i++)
        {
            var balance = await grains.GetGrain<IAccountGrain>($"load-{i:00}").Balance();
            Assert.True(balance >= acknowledged[i], $"load-{i:00}: balance {balance} < {acknowledged[i]} acknowledged deposits: an acknowledged write was lost");
            Assert.True(balance <= acknowledged[i] + failed[i], $"load-{i:00}: balance {balance} > {acknowledged[i]} acknowledged + {failed[i]} failed deposits");
        }

        Assert.True(failed.Sum() > 0, "no call failed: the killed silo hosted none of the load's grains, so the test proved nothing");
        Assert.True(declaredDead is not null && declaredDead < TimeSpan.FromSeconds(10), $"the killed silo was declared dead after {declaredDead?.ToString() ?? "more than 20 s"}");
        Assert.True(allAnswering is not null && allAnswering < TimeSpan.FromSeconds(15), $"the grains answered again after {allAnswering?.ToString() ?? "more than 20 s"}");

        // The crashed silo comes back on the same endpoint: its stale row does not stop it joining.
        var restarted = await cluster.StartSiloAsync("silo-b-again", victim.SiloPort, victim.GatewayPort);
        var incarnations = await cluster.StatusOfAsync(victim.SiloPort);
        output.WriteLine($"after restart: {string.Join(", ", incarnations.Select(s => $"{s.Silo} {s.Status}"))}");
        Assert.Equal(SiloStatus.Active, incarnations[^1].Status);
        Assert.All(incarnations.SkipLast(1), s => Assert.Equal(SiloStatus.Dead, s.Status));
        Assert.False(restarted.HasExited);
    }

    private static async Task<IHost> StartClientAsync(string clusterId, IEnumerable<string> gateways)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Services.AddAgentsClient(o =>
        {
            o.ClusterId = clusterId;
            o.ResponseTimeout = TimeSpan.FromSeconds(10);
            foreach (var gateway in gateways)
            {
                o.Gateways.Add(gateway);
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
