using Agents.AdoNet.Postgres;
using Agents.Runtime.Hosting;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>Configuration alone picks PostgreSQL storage, as in the Silo binary; bad values stop start-up naming the key.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresHostingTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task Provider_Postgres_in_configuration_registers_initializes_and_uses_the_provider()
    {
        var table = "hosted_" + Guid.NewGuid().ToString("N")[..12];
        using var host = BuildHost(new()
        {
            ["Agents:Storage:Orders:Provider"] = "Postgres",
            ["Agents:Storage:Orders:ConnectionString"] = await postgres.DatabaseForAsync(GetType()),
            ["Agents:Storage:Orders:TableName"] = table,
            ["Agents:Storage:Orders:Format"] = "Binary",
            ["Agents:Storage:Orders:MaxBatchSize"] = "64",
        });

        await host.StartAsync();
        try
        {
            var storage = Assert.IsType<PostgresGrainStorage>(host.Services.GetRequiredKeyedService<IGrainStorage>("Orders"));
            Assert.Equal(table, storage.TableName);
            Assert.Equal(PostgresStateFormat.Binary, storage.Format);

            var grainId = GrainId.Create(new GrainType("order"), Guid.NewGuid());
            var written = new GrainState<SampleState>(SampleState.Create("hosted"));
            await storage.WriteStateAsync("state", grainId, written);
            var read = new GrainState<SampleState>(new SampleState());
            await storage.ReadStateAsync("state", grainId, read);
            Assert.Equal("hosted", read.State.Name);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_bad_value_stops_start_up_with_a_message_naming_the_key()
    {
        using var host = BuildHost(new()
        {
            ["Agents:Storage:Orders:Provider"] = "Postgres",
            ["Agents:Storage:Orders:ConnectionString"] = await postgres.DatabaseForAsync(GetType()),
            ["Agents:Storage:Orders:TableName"] = "Orders-Table",
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Agents:Storage:Orders:TableName", ex.Message, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.UseAgentsSilo(silo => silo.UseLocalhostClustering().AddAdoNetProviders());
        return builder.Build();
    }
}
