using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// Rejects unusable <see cref="PostgresClusterTableOptions"/> at start-up. Each message starts with the
/// configuration key, e.g. <c>Agents:Clustering:TablePrefix: ...</c>, so an operator knows what to
/// fix without reading code. Messages never repeat the connection string: it holds a password.
/// </summary>
/// <param name="configurationPath">The section the options bind from.</param>
/// <param name="longestTableSuffix">The longest name the provider appends to the prefix; it bounds the prefix's length.</param>
public class PostgresClusterTableOptionsValidator<TOptions>(string configurationPath, int longestTableSuffix)
    : IValidateOptions<TOptions>
    where TOptions : PostgresClusterTableOptions
{
    /// <summary>The longest <see cref="PostgresClusterTableOptions.TablePrefix"/>: the longest table name it starts must fit PostgreSQL's 63 characters.</summary>
    public int MaxTablePrefixLength { get; } = 63 - longestTableSuffix;

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        ValidateConnectionString(options.ConnectionString, failures);

        if (string.IsNullOrWhiteSpace(options.ClusterId) || options.ClusterId.Length > PostgresClusterTableOptions.MaxClusterIdLength)
        {
            failures.Add($"{Key(nameof(options.ClusterId))}: '{options.ClusterId}' is not a cluster id; " +
                $"use 1 to {PostgresClusterTableOptions.MaxClusterIdLength} characters, the same on every silo of the cluster.");
        }

        if (!string.IsNullOrEmpty(options.Schema) && (!IdentifierPattern().IsMatch(options.Schema) || options.Schema.StartsWith("pg_", StringComparison.Ordinal)))
        {
            failures.Add($"{Key(nameof(options.Schema))}: '{options.Schema}' is not a valid schema name; leave it empty for the search path, " +
                "or use 1-63 lower-case letters, digits or underscores, starting with a letter or underscore (not 'pg_').");
        }

        if (options.TablePrefix is null || options.TablePrefix.Length > MaxTablePrefixLength
            || (options.TablePrefix.Length > 0 && !IdentifierPattern().IsMatch(options.TablePrefix)))
        {
            failures.Add($"{Key(nameof(options.TablePrefix))}: '{options.TablePrefix}' is not a valid table prefix; " +
                $"use 0-{MaxTablePrefixLength} lower-case letters, digits or underscores, starting with a letter or underscore.");
        }

        if (options.CommandTimeout < TimeSpan.FromSeconds(1) || options.CommandTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{Key(nameof(options.CommandTimeout))}: {options.CommandTimeout} is out of range; use 00:00:01 to 00:10:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The connection string follows exactly the grain storage provider's rules (required, parses, names
    /// a host), so its validator checks it; only its ConnectionString failures concern us.
    /// </summary>
    private void ValidateConnectionString(string connectionString, List<string> failures)
    {
        var key = Key(nameof(PostgresClusterTableOptions.ConnectionString)) + ":";
        var probe = new PostgresGrainStorageOptions { ConnectionString = connectionString, MaxConcurrentBatches = 1 };
        var result = new PostgresGrainStorageOptionsValidator(configurationPath).Validate(null, probe);
        failures.AddRange(result.Failures?.Where(f => f.StartsWith(key, StringComparison.Ordinal)) ?? []);
    }

    private string Key(string property) =>
        string.IsNullOrEmpty(configurationPath) ? property : $"{configurationPath}:{property}";

    private static Regex IdentifierPattern() => PostgresIdentifiers.Pattern();
}

/// <summary>The identifiers the providers accept for schemas and table prefixes: lower-case, unquoted-safe.</summary>
internal static partial class PostgresIdentifiers
{
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    public static partial Regex Pattern();
}
