using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Tests.Hosting;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task An_unknown_storage_provider_stops_start_up_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Storage:Default:Provider", "Cassandra").Build();

        var error = await Assert.ThrowsAsync<AgentsConfigurationException>(() => cluster.DeployAsync());

        Assert.StartsWith("Agents:Storage:Default:Provider: 'Cassandra' is not a storage provider", error.Message, StringComparison.Ordinal);
        Assert.Contains("Memory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_section_without_a_provider_is_an_error_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Streams:Events:Capacity", "10").Build();

        var error = await Assert.ThrowsAsync<AgentsConfigurationException>(() => cluster.DeployAsync());

        Assert.StartsWith("Agents:Streams:Events:Provider: missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_silo_option_stops_start_up_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Silo:ResponseTimeout", "-00:00:05").Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => cluster.DeployAsync());

        Assert.Contains("Agents:Silo:ResponseTimeout: must be a positive time span", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unparseable_silo_option_stops_start_up_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Silo:CollectionAge", "soon").Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync());

        Assert.Contains("Agents:Silo:CollectionAge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_clustering_is_refused_with_a_message_until_it_exists()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Clustering:Provider", "Postgres").Build();

        var error = await Assert.ThrowsAsync<AgentsConfigurationException>(() => cluster.DeployAsync());

        Assert.StartsWith("Agents:Clustering:Provider:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_reminder_provider_stops_start_up_naming_the_key_and_the_known_ones()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Reminders:Provider", "Redis").Build();

        var error = await Assert.ThrowsAsync<AgentsConfigurationException>(() => cluster.DeployAsync());

        Assert.StartsWith("Agents:Reminders:Provider: 'Redis' is not a reminder provider", error.Message, StringComparison.Ordinal);
        Assert.Contains("Memory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Memory")]
    [InlineData("Sqlite")]
    public async Task A_reminder_table_private_to_one_process_is_refused_in_a_postgres_cluster(string provider)
    {
        await using var cluster = new TestClusterBuilder()
            .WithConfiguration("Agents:Clustering:Provider", "Postgres")
            .WithConfiguration("Agents:Clustering:ConnectionString", "Host=127.0.0.1;Database=agents")
            .WithConfiguration("Agents:Reminders:Provider", provider)
            .ConfigureSilo(silo => silo.AddAdoNetProviders())
            .Build();

        var error = await Assert.ThrowsAsync<AgentsConfigurationException>(() => cluster.DeployAsync());

        Assert.StartsWith($"Agents:Reminders:Provider: '{provider}' keeps reminders inside one silo process", error.Message, StringComparison.Ordinal);
        Assert.Contains("Postgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_reminder_setting_stops_start_up_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Reminders:MinimumPeriod", "00:00:00.001").Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => cluster.DeployAsync());

        Assert.Contains("Agents:Reminders:MinimumPeriod: must be between", error.Message, StringComparison.Ordinal);
    }
}
