namespace Agents.AdoNet.Postgres;

/// <summary>
/// Settings shared by the tables a whole cluster shares in PostgreSQL (membership, reminders): where
/// they are, which cluster's rows they hold, and how long a statement may run. Checked at start-up by
/// <see cref="PostgresClusterTableOptionsValidator{TOptions}"/>.
/// </summary>
public abstract class PostgresClusterTableOptions
{
    /// <summary>The default of <see cref="TablePrefix"/>.</summary>
    public const string DefaultTablePrefix = "agents_";

    /// <summary>The longest <see cref="ClusterId"/> accepted.</summary>
    public const int MaxClusterIdLength = 128;

    /// <summary>The default of <see cref="CommandTimeout"/>.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// An Npgsql connection string, e.g. <c>Host=db;Database=agents;Username=agents;Password=...</c>.
    /// The database must exist; the provider creates its tables. Required.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The cluster whose rows this table reads and writes; several clusters may share one database.
    /// When hosted, an empty value takes the silo's own <c>Agents:Silo:ClusterId</c>.
    /// </summary>
    public string ClusterId { get; set; } = string.Empty;

    /// <summary>
    /// The PostgreSQL schema holding the tables; empty (the default) for the connection's search
    /// path. Created if missing. Lower-case letters, digits and underscores only.
    /// </summary>
    public string Schema { get; set; } = string.Empty;

    /// <summary>
    /// Prepended to the table names (<c>{prefix}membership</c>, <c>{prefix}membership_version</c>, <c>{prefix}reminders</c>).
    /// Lower-case letters, digits and underscores only (may be empty), so that people can type the
    /// names in SQL without quotes.
    /// </summary>
    public string TablePrefix { get; set; } = DefaultTablePrefix;

    /// <summary>How long one read, one write or the schema set-up may run before it fails.</summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;

    /// <summary>When hosted: an empty <see cref="ClusterId"/> takes the silo's own (<c>Agents:Silo:ClusterId</c>).</summary>
    internal void DefaultClusterIdTo(string siloClusterId)
    {
        if (string.IsNullOrEmpty(ClusterId))
        {
            ClusterId = siloClusterId;
        }
    }
}
