using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Sqlite.Reminders;

/// <summary>
/// Settings of the SQLite reminder table, bound from <c>Agents:Reminders</c>: reminders of one silo
/// kept in a file (usually the same file as its grain state), surviving restarts.
/// </summary>
public sealed class SqliteReminderOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Agents:Reminders";

    /// <summary>The default of <see cref="TableName"/>.</summary>
    public const string DefaultTableName = "agents_reminders";

    /// <summary>Path of the database file, e.g. <c>data/agents.db</c>. Required; created with its directory if missing.</summary>
    public string DataSource { get; set; } = string.Empty;

    /// <summary>The table holding the reminders. Letters, digits and underscores only.</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>How long a statement waits for the file's write lock (held by the grain state writer, say) before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = SqliteGrainStorageOptions.DefaultBusyTimeout;
}

/// <summary>
/// Rejects unusable <see cref="SqliteReminderOptions"/> at start-up, naming the <c>Agents:Reminders</c>
/// key. The file, table name and timeout follow exactly the grain storage provider's rules, so its
/// validator checks them.
/// </summary>
public sealed class SqliteReminderOptionsValidator : IValidateOptions<SqliteReminderOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteReminderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var probe = new SqliteGrainStorageOptions { DataSource = options.DataSource, TableName = options.TableName, BusyTimeout = options.BusyTimeout };
        var result = new SqliteGrainStorageOptionsValidator(SqliteReminderOptions.SectionName).Validate(null, probe);
        return result.Failed ? ValidateOptionsResult.Fail(result.Failures) : ValidateOptionsResult.Success;
    }
}
