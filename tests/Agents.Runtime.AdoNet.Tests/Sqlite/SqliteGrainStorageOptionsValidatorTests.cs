using Agents.AdoNet.Sqlite;
using Agents.AdoNet.Tests.Support;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Sqlite;

public sealed class SqliteGrainStorageOptionsValidatorTests : IDisposable
{
    private const string Section = "Agents:Storage:Default";

    private readonly TempDirectory _directory = new();
    private readonly SqliteGrainStorageOptionsValidator _validator = new(Section, "Default");

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_data_source_is_rejected_naming_the_key(string dataSource)
    {
        var failure = SingleFailure(new SqliteGrainStorageOptions { DataSource = dataSource });

        Assert.StartsWith("Agents:Storage:Default:DataSource: ", failure, StringComparison.Ordinal);
        Assert.Contains("required", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("file:agents?mode=memory&cache=shared")]
    public void An_in_memory_database_is_rejected(string dataSource)
    {
        var failure = SingleFailure(new SqliteGrainStorageOptions { DataSource = dataSource });

        Assert.StartsWith("Agents:Storage:Default:DataSource: ", failure, StringComparison.Ordinal);
        Assert.Contains("Memory storage provider", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_not_a_database_file()
    {
        var failure = SingleFailure(new SqliteGrainStorageOptions { DataSource = _directory.Path });

        Assert.StartsWith("Agents:Storage:Default:DataSource: ", failure, StringComparison.Ordinal);
        Assert.Contains("is a directory", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_that_cannot_be_created_is_reported_with_its_path()
    {
        // A regular file where a directory should be: creating the directory below it must fail.
        var blocker = _directory.File("blocker");
        File.WriteAllText(blocker, "not a directory");
        var missing = Path.Combine(blocker, "data");

        var failure = SingleFailure(new SqliteGrainStorageOptions { DataSource = Path.Combine(missing, "agents.db") });

        Assert.StartsWith($"Agents:Storage:Default:DataSource: the directory '{missing}' does not exist and could not be created", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_directory_is_created()
    {
        var missing = _directory.File("nested/deeper");
        var result = _validator.Validate("Default", new SqliteGrainStorageOptions { DataSource = Path.Combine(missing, "agents.db") });

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.True(Directory.Exists(missing));
    }

    [Theory]
    [InlineData("")]
    [InlineData("grain state")]
    [InlineData("state; DROP TABLE x")]
    [InlineData("1state")]
    public void An_unsafe_table_name_is_rejected(string tableName)
    {
        var failure = SingleFailure(Valid(o => o.TableName = tableName));

        Assert.StartsWith("Agents:Storage:Default:TableName: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Batching_limits_and_busy_timeout_are_range_checked()
    {
        Assert.StartsWith("Agents:Storage:Default:MaxBatchSize: ", SingleFailure(Valid(o => o.MaxBatchSize = 0)), StringComparison.Ordinal);
        Assert.StartsWith("Agents:Storage:Default:MaxQueuedWrites: ", SingleFailure(Valid(o => o.MaxQueuedWrites = 10)), StringComparison.Ordinal);
        Assert.StartsWith("Agents:Storage:Default:BusyTimeout: ", SingleFailure(Valid(o => o.BusyTimeout = TimeSpan.FromSeconds(-1))), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = _validator.Validate("Default", new SqliteGrainStorageOptions { DataSource = "", TableName = "bad name", MaxBatchSize = 0 });

        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Other_named_instances_are_left_to_their_own_validator()
    {
        var result = _validator.Validate("Archive", new SqliteGrainStorageOptions());

        Assert.True(result.Skipped);
    }

    private SqliteGrainStorageOptions Valid(Action<SqliteGrainStorageOptions> change)
    {
        var options = new SqliteGrainStorageOptions { DataSource = _directory.File("agents.db") };
        change(options);
        return options;
    }

    private string SingleFailure(SqliteGrainStorageOptions options)
    {
        var result = _validator.Validate("Default", options);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }
}
