using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// Rejects unusable <see cref="PostgresGrainStorageOptions"/> at start-up. Each message starts with
/// the configuration key, e.g. <c>Agents:Storage:Default:ConnectionString: ...</c>, so an operator
/// knows what to fix without reading code. Messages never repeat the connection string: it holds a
/// password.
/// </summary>
/// <param name="configurationPath">The section the options bind from, e.g. <c>Agents:Storage:Default</c>.</param>
/// <param name="optionsName">The named-options instance this validator checks; null checks every name.</param>
public sealed partial class PostgresGrainStorageOptionsValidator(string configurationPath, string? optionsName = null)
    : IValidateOptions<PostgresGrainStorageOptions>
{
    /// <summary>Upper bound of <see cref="PostgresGrainStorageOptions.MaxBatchSize"/>; beyond it one batch holds row locks too long.</summary>
    public const int MaxBatchSizeLimit = 10_000;

    /// <summary>Upper bound of <see cref="PostgresGrainStorageOptions.MaxConcurrentBatches"/>.</summary>
    public const int MaxConcurrentBatchesLimit = 64;

    public ValidateOptionsResult Validate(string? name, PostgresGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (optionsName is not null && !string.Equals(name, optionsName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        var maxPoolSize = ValidateConnectionString(options.ConnectionString, failures);

        if (string.IsNullOrEmpty(options.TableName) || !TableNamePattern().IsMatch(options.TableName))
        {
            failures.Add($"{Key(nameof(options.TableName))}: '{options.TableName}' is not a valid table name; " +
                "use 1-63 lower-case letters, digits or underscores, starting with a letter or underscore.");
        }

        if (!Enum.IsDefined(options.Format))
        {
            failures.Add($"{Key(nameof(options.Format))}: '{options.Format}' is not a format; use Json or Binary.");
        }

        if (options.MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            failures.Add($"{Key(nameof(options.MaxBatchSize))}: {options.MaxBatchSize} is out of range; use 1 to {MaxBatchSizeLimit}.");
        }

        if (options.MaxConcurrentBatches is < 1 or > MaxConcurrentBatchesLimit)
        {
            failures.Add($"{Key(nameof(options.MaxConcurrentBatches))}: {options.MaxConcurrentBatches} is out of range; use 1 to {MaxConcurrentBatchesLimit}.");
        }
        else if (maxPoolSize is { } poolSize && options.MaxConcurrentBatches >= poolSize)
        {
            failures.Add($"{Key(nameof(options.MaxConcurrentBatches))}: {options.MaxConcurrentBatches} leaves no pooled connection for reads " +
                $"(the connection string's Maximum Pool Size is {poolSize}); lower it or raise the pool size.");
        }

        if (options.MaxQueuedWrites < options.MaxBatchSize)
        {
            failures.Add($"{Key(nameof(options.MaxQueuedWrites))}: {options.MaxQueuedWrites} is less than MaxBatchSize " +
                $"({options.MaxBatchSize}); the queue must hold at least one full batch.");
        }

        if (options.CommandTimeout < TimeSpan.FromSeconds(1) || options.CommandTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Key(nameof(options.CommandTimeout))}: {options.CommandTimeout} is out of range; use 00:00:01 to 01:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Checks the connection string; returns its Maximum Pool Size when it parses.</summary>
    private int? ValidateConnectionString(string? connectionString, List<string> failures)
    {
        var key = Key(nameof(PostgresGrainStorageOptions.ConnectionString));
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            failures.Add($"{key}: a connection string is required, e.g. 'Host=localhost;Database=agents;Username=agents;Password=...'.");
            return null;
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql's message names the offending keyword, not the value, so it is safe to repeat.
            failures.Add($"{key}: not a valid PostgreSQL connection string ({ex.Message}).");
            return null;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            failures.Add($"{key}: no Host is given; add e.g. 'Host=localhost'.");
        }

        return builder.Pooling ? builder.MaxPoolSize : null;
    }

    private string Key(string property) =>
        string.IsNullOrEmpty(configurationPath) ? property : $"{configurationPath}:{property}";

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableNamePattern();
}
