using Agents.AdoNet.Postgres.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Membership;

public sealed class PostgresMembershipOptionsValidatorTests
{
    private const string Valid = "Host=localhost;Database=agents;Username=agents;Password=s3cret-pw";

    private readonly PostgresMembershipOptionsValidator _validator = new();

    private static PostgresMembershipOptions ValidOptions() => new() { ConnectionString = Valid, ClusterId = "prod" };

    [Fact]
    public void Defaults_with_a_connection_string_and_a_cluster_id_are_valid()
    {
        Assert.True(_validator.Validate(null, ValidOptions()).Succeeded);
        Assert.True(_validator.Validate(null, new PostgresMembershipOptions { ConnectionString = Valid, ClusterId = "prod", Schema = "agents", TablePrefix = "" }).Succeeded);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("Host=localhost;Password=s3cret-pw;Colour=blue", "not a valid PostgreSQL connection string")]
    [InlineData("Database=agents;Username=agents;Password=s3cret-pw", "no Host")]
    public void A_bad_connection_string_is_rejected_naming_the_key_but_not_the_password(string connectionString, string problem)
    {
        var failure = FailureWith(o => o.ConnectionString = connectionString);

        Assert.StartsWith("Agents:Clustering:ConnectionString: ", failure, StringComparison.Ordinal);
        Assert.Contains(problem, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_cluster_id_is_rejected_naming_the_key(string clusterId)
    {
        Assert.StartsWith("Agents:Clustering:ClusterId: ", FailureWith(o => o.ClusterId = clusterId), StringComparison.Ordinal);
    }

    [Fact]
    public void An_overlong_cluster_id_is_rejected_naming_the_key()
    {
        Assert.StartsWith("Agents:Clustering:ClusterId: ", FailureWith(o => o.ClusterId = new string('c', PostgresMembershipOptions.MaxClusterIdLength + 1)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Agents")]
    [InlineData("my-schema")]
    [InlineData("1schema")]
    [InlineData("pg_agents")]
    [InlineData("x; DROP SCHEMA public")]
    public void A_schema_that_is_not_a_plain_lower_case_identifier_is_rejected(string schema)
    {
        Assert.StartsWith("Agents:Clustering:Schema: ", FailureWith(o => o.Schema = schema), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Agents_")]
    [InlineData("agents-")]
    [InlineData("9_")]
    [InlineData("a\"; DROP TABLE x; --")]
    public void A_table_prefix_that_is_not_a_plain_lower_case_identifier_is_rejected(string prefix)
    {
        Assert.StartsWith("Agents:Clustering:TablePrefix: ", FailureWith(o => o.TablePrefix = prefix), StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_prefix_too_long_for_the_longest_table_name_is_rejected()
    {
        var longest = new string('p', PostgresMembershipOptionsValidator.MaxTablePrefixLength);
        Assert.True(_validator.Validate(null, new PostgresMembershipOptions { ConnectionString = Valid, ClusterId = "prod", TablePrefix = longest }).Succeeded);

        Assert.StartsWith("Agents:Clustering:TablePrefix: ", FailureWith(o => o.TablePrefix = longest + "p"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3_600)]
    public void A_command_timeout_out_of_range_is_rejected_naming_the_key(int seconds)
    {
        Assert.StartsWith("Agents:Clustering:CommandTimeout: ", FailureWith(o => o.CommandTimeout = TimeSpan.FromSeconds(seconds)), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = _validator.Validate(null, new PostgresMembershipOptions { TablePrefix = "X", CommandTimeout = TimeSpan.Zero });

        Assert.Equal(4, result.Failures!.Count());
    }

    [Fact]
    public void The_table_constructor_rejects_invalid_options_naming_the_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new PostgresMembershipTable(
            new PostgresMembershipOptions { ConnectionString = Valid, ClusterId = "prod", TablePrefix = "Bad-Prefix" },
            NullLogger<PostgresMembershipTable>.Instance));

        Assert.Contains("Agents:Clustering:TablePrefix", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The one failure of valid options changed by <paramref name="change"/>.</summary>
    private string FailureWith(Action<PostgresMembershipOptions> change)
    {
        var options = ValidOptions();
        change(options);
        var result = _validator.Validate(null, options);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }
}
