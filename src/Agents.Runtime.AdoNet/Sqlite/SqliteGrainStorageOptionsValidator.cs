using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// Rejects unusable <see cref="SqliteGrainStorageOptions"/> at start-up. Each message starts with
/// the configuration key, e.g. <c>Agents:Storage:Default:DataSource: ...</c>, so an operator knows
/// what to fix without reading code. As a side effect, a missing database directory is created:
/// checking that it can be created and creating it are the same operation.
/// </summary>
/// <param name="configurationPath">The section the options bind from, e.g. <c>Agents:Storage:Default</c>.</param>
/// <param name="optionsName">The named-options instance this validator checks; null checks every name.</param>
public sealed partial class SqliteGrainStorageOptionsValidator(string configurationPath, string? optionsName = null)
    : IValidateOptions<SqliteGrainStorageOptions>
{
    /// <summary>Upper bound of <see cref="SqliteGrainStorageOptions.MaxBatchSize"/>; beyond it a batch holds the write lock too long.</summary>
    public const int MaxBatchSizeLimit = 100_000;

    public ValidateOptionsResult Validate(string? name, SqliteGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (optionsName is not null && !string.Equals(name, optionsName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        ValidateDataSource(options.DataSource, failures);

        if (string.IsNullOrEmpty(options.TableName) || !TableNamePattern().IsMatch(options.TableName))
        {
            failures.Add($"{Key(nameof(options.TableName))}: '{options.TableName}' is not a valid table name; " +
                "use 1-63 letters, digits or underscores, starting with a letter or underscore.");
        }

        if (options.MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            failures.Add($"{Key(nameof(options.MaxBatchSize))}: {options.MaxBatchSize} is out of range; use 1 to {MaxBatchSizeLimit}.");
        }

        if (options.MaxQueuedWrites < options.MaxBatchSize)
        {
            failures.Add($"{Key(nameof(options.MaxQueuedWrites))}: {options.MaxQueuedWrites} is less than MaxBatchSize " +
                $"({options.MaxBatchSize}); the queue must hold at least one full batch.");
        }

        if (options.BusyTimeout < TimeSpan.Zero || options.BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"{Key(nameof(options.BusyTimeout))}: {options.BusyTimeout} is out of range; use a non-negative duration such as 00:00:05.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateDataSource(string? dataSource, List<string> failures)
    {
        var key = Key(nameof(SqliteGrainStorageOptions.DataSource));
        if (string.IsNullOrWhiteSpace(dataSource))
        {
            failures.Add($"{key}: a database file path is required, e.g. 'data/agents.db'.");
            return;
        }

        // An in-memory database is private to one connection, but this provider reads on pooled
        // connections beside its writer: the data would seem to vanish. The Memory provider exists for that.
        if (dataSource.Trim().StartsWith(":memory:", StringComparison.OrdinalIgnoreCase)
            || dataSource.Contains("mode=memory", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{key}: '{dataSource}' is an in-memory database; give a file path, or use the Memory storage provider.");
            return;
        }

        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(dataSource);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            failures.Add($"{key}: '{dataSource}' is not a valid file path ({ex.Message}).");
            return;
        }

        if (Directory.Exists(fullPath))
        {
            failures.Add($"{key}: '{fullPath}' is a directory; give the path of a database file inside it, e.g. '{Path.Combine(fullPath, "agents.db")}'.");
            return;
        }

        var directory = Path.GetDirectoryName(fullPath);
        if (string.IsNullOrEmpty(directory) || Directory.Exists(directory))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            failures.Add($"{key}: the directory '{directory}' does not exist and could not be created ({ex.Message}).");
        }
    }

    private string Key(string property) =>
        string.IsNullOrEmpty(configurationPath) ? property : $"{configurationPath}:{property}";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableNamePattern();
}
