namespace Agents.AdoNet.Postgres.Reminders;

/// <summary>
/// Settings of the PostgreSQL reminder table, bound from <c>Agents:Reminders</c>. When hosted, an empty
/// <see cref="PostgresClusterTableOptions.ConnectionString"/> takes <c>Agents:Clustering:ConnectionString</c>
/// and an empty <see cref="PostgresClusterTableOptions.ClusterId"/> the silo's own cluster id, so a
/// PostgreSQL cluster needs no reminder settings at all.
/// </summary>
public sealed class PostgresReminderOptions : PostgresClusterTableOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Agents:Reminders";
}

/// <summary>Rejects unusable <see cref="PostgresReminderOptions"/> at start-up, naming the <c>Agents:Reminders</c> key.</summary>
public sealed class PostgresReminderOptionsValidator()
    : PostgresClusterTableOptionsValidator<PostgresReminderOptions>(PostgresReminderOptions.SectionName, PostgresReminderSchema.LongestTableSuffixLength);
