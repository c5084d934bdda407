using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;
using Microsoft.Data.Sqlite;

namespace Agents.Runtime.Tests.Storage;

public sealed class CorruptStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agents-corrupt-").FullName;

    [Fact]
    public async Task A_corrupt_state_row_fails_that_grain_with_an_error_naming_it_and_the_silo_keeps_serving()
    {
        var database = Path.Combine(_directory, "grains.db");
        await using var cluster = new TestClusterBuilder()
            .ConfigureSilo(silo => silo.AddAdoNetProviders())
            .WithConfiguration("Agents:Storage:Default:Provider", "Sqlite")
            .WithConfiguration("Agents:Storage:Default:DataSource", database)
            .Build();
        await cluster.DeployAsync();
        await cluster.Client.GetGrain<IStatefulGrain>("damaged").Increment("ok");
        await cluster.Client.GetGrain<IStatefulGrain>("healthy").Increment("ok");
        await cluster.StopAsync();

        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE agents_grain_state SET payload = '{not json' WHERE grain_key = 'damaged'";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        SqliteConnection.ClearAllPools();
        await cluster.DeployAsync();

        var error = await Assert.ThrowsAsync<GrainStateException>(() => cluster.Client.GetGrain<IStatefulGrain>("damaged").Get());
        Assert.Contains("stateful/damaged", error.Message, StringComparison.Ordinal);
        Assert.Contains("counter", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await cluster.Client.GetGrain<IStatefulGrain>("healthy").Get());
        Assert.Equal(2, await cluster.Client.GetGrain<IStatefulGrain>("healthy").Increment("still works"));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }
}
