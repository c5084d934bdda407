using Agents.AdoNet.Postgres.Membership;
using Agents.AdoNet.Tests.Postgres;
using Agents.Runtime.Hosting;
using Agents.Runtime.Membership;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Membership;

/// <summary><c>UsePostgresClustering</c>: options from configuration and code, the silo's cluster id by default, bad values stop start-up.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusteringHostingTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task The_table_is_registered_with_configured_options_and_the_silos_cluster_id()
    {
        var prefix = "hosted_" + Guid.NewGuid().ToString("N")[..12] + "_";
        using var host = BuildHost(
            new()
            {
                ["Agents:Silo:ClusterId"] = "orders-prod",
                ["Agents:Clustering:ConnectionString"] = await postgres.DatabaseForAsync(GetType()),
            },
            o => o.TablePrefix = prefix);

        await host.StartAsync();
        try
        {
            var table = Assert.IsType<PostgresMembershipTable>(host.Services.GetRequiredService<IMembershipTable>());
            Assert.Equal("orders-prod", table.ClusterId);
            Assert.Equal(prefix + "membership", table.TableName);
            Assert.Same(table, host.Services.GetRequiredService<IMembershipTable>());

            // Usable on the configured database (a runtime that runs membership may already have joined through it).
            var snapshot = await table.ReadAllAsync();
            Assert.All(snapshot.Entries, e => Assert.NotEqual(SiloStatus.Dead, e.Entry.Status));
            Assert.Equal(PostgresClusteringExtensions.ProviderName, host.Services.GetRequiredService<IOptions<ClusteringOptions>>().Value.Provider);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_bad_value_stops_start_up_with_a_message_naming_the_key()
    {
        using var host = BuildHost(
            new() { ["Agents:Clustering:ConnectionString"] = await postgres.DatabaseForAsync(GetType()) },
            o => o.Schema = "Cluster-State");

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Agents:Clustering:Schema", ex.Message, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Dictionary<string, string?> configuration, Action<PostgresMembershipOptions> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(LoopbackPorts);
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.UseAgentsSilo(silo => silo.UsePostgresClustering(configure));
        return builder.Build();
    }

    /// <summary>Any free silo and gateway ports: tests never take the well-known ones.</summary>
    private static readonly Dictionary<string, string?> LoopbackPorts = new()
    {
        ["Agents:Networking:SiloPort"] = "0",
        ["Agents:Networking:GatewayPort"] = "0",
    };

    [Fact]
    public async Task Silos_configured_with_Provider_Postgres_form_one_cluster_through_the_table()
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Agents:Silo:ClusterId"] = "switch-" + Guid.NewGuid().ToString("N")[..8],
            ["Agents:Clustering:Provider"] = "Postgres",
            ["Agents:Clustering:ConnectionString"] = await postgres.DatabaseForAsync(GetType()),
        };
        var hosts = new List<IHost>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
                builder.Configuration.AddInMemoryCollection(LoopbackPorts);
                builder.Configuration.AddInMemoryCollection(configuration);
                builder.UseAgentsSilo(silo => silo.AddAdoNetProviders());
                var host = builder.Build();
                await host.StartAsync();
                hosts.Add(host);
            }

            var table = hosts[0].Services.GetRequiredService<IMembershipTable>();
            var snapshot = await table.ReadAllAsync();
            Assert.Equal(2, snapshot.Entries.Count(e => e.Entry.Status == SiloStatus.Active));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }
}
