using Agents.AdoNet.Postgres;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Postgres;

public sealed class PostgresGrainStorageOptionsValidatorTests
{
    private const string Section = "Agents:Storage:Orders";
    private const string Valid = "Host=localhost;Database=agents;Username=agents;Password=s3cret-pw";

    private readonly PostgresGrainStorageOptionsValidator _validator = new(Section, "Orders");

    [Fact]
    public void Defaults_with_a_connection_string_are_valid()
    {
        Assert.True(_validator.Validate("Orders", new PostgresGrainStorageOptions { ConnectionString = Valid }).Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_connection_string_is_rejected_naming_the_key(string connectionString)
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = connectionString });

        Assert.StartsWith("Agents:Storage:Orders:ConnectionString: ", failure, StringComparison.Ordinal);
        Assert.Contains("required", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_connection_string_is_rejected_without_echoing_it()
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = "Host=localhost;Password=s3cret-pw;Colour=blue" });

        Assert.StartsWith("Agents:Storage:Orders:ConnectionString: not a valid PostgreSQL connection string", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_without_a_host_is_rejected()
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = "Database=agents;Username=agents" });

        Assert.StartsWith("Agents:Storage:Orders:ConnectionString: no Host", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Grain_State")]
    [InlineData("grain-state")]
    [InlineData("1state")]
    [InlineData("state; DROP TABLE x")]
    public void A_table_name_that_is_not_a_plain_lower_case_identifier_is_rejected(string tableName)
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, TableName = tableName });

        Assert.StartsWith("Agents:Storage:Orders:TableName: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_undefined_format_is_rejected()
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, Format = (PostgresStateFormat)7 });

        Assert.StartsWith("Agents:Storage:Orders:Format: ", failure, StringComparison.Ordinal);
        Assert.Contains("Json or Binary", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(PostgresGrainStorageOptionsValidator.MaxBatchSizeLimit + 1)]
    public void A_batch_size_out_of_range_is_rejected(int size)
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, MaxBatchSize = size, MaxQueuedWrites = 100_000 });

        Assert.StartsWith("Agents:Storage:Orders:MaxBatchSize: ", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(PostgresGrainStorageOptionsValidator.MaxConcurrentBatchesLimit + 1)]
    public void Concurrent_batches_out_of_range_are_rejected(int lanes)
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, MaxConcurrentBatches = lanes });

        Assert.StartsWith("Agents:Storage:Orders:MaxConcurrentBatches: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_batches_that_would_take_every_pooled_connection_are_rejected()
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid + ";Maximum Pool Size=4", MaxConcurrentBatches = 4 });

        Assert.StartsWith("Agents:Storage:Orders:MaxConcurrentBatches: 4 leaves no pooled connection for reads", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_queue_smaller_than_a_batch_is_rejected()
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, MaxBatchSize = 100, MaxQueuedWrites = 10 });

        Assert.StartsWith("Agents:Storage:Orders:MaxQueuedWrites: ", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    [InlineData("02:00:00")]
    public void A_command_timeout_out_of_range_is_rejected(string timeout)
    {
        var failure = SingleFailure(new PostgresGrainStorageOptions { ConnectionString = Valid, CommandTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.StartsWith("Agents:Storage:Orders:CommandTimeout: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = _validator.Validate("Orders", new PostgresGrainStorageOptions { TableName = "Bad", MaxBatchSize = 0 });

        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Other_named_options_are_skipped()
    {
        Assert.True(_validator.Validate("Default", new PostgresGrainStorageOptions()).Skipped);
    }

    private string SingleFailure(PostgresGrainStorageOptions options)
    {
        var result = _validator.Validate("Orders", options);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }
}
