namespace Agents.AdoNet.Sqlite;

/// <summary>
/// Settings of one SQLite grain storage provider, bound from <c>Agents:Storage:&lt;name&gt;</c>.
/// Checked at start-up by <see cref="SqliteGrainStorageOptionsValidator"/>.
/// </summary>
public sealed class SqliteGrainStorageOptions
{
    /// <summary>The default of <see cref="TableName"/>.</summary>
    public const string DefaultTableName = "agents_grain_state";

    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 512;

    /// <summary>The default of <see cref="MaxQueuedWrites"/>.</summary>
    public const int DefaultMaxQueuedWrites = 16_384;

    /// <summary>The default of <see cref="BusyTimeout"/>.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Path of the database file, e.g. <c>data/agents.db</c>; relative paths resolve against the
    /// current directory. The file and the table are created on first use; the directory is
    /// created by validation if it is missing. Required.
    /// </summary>
    public string DataSource { get; set; } = string.Empty;

    /// <summary>
    /// The table holding grain state. Several providers may share one file with different tables.
    /// Letters, digits and underscores only: the name is written into SQL.
    /// </summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// The most writes committed in one transaction. Larger batches amortise the disk sync over
    /// more writes but hold SQLite's write lock longer.
    /// </summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// The most writes waiting for the writer. When full, further writers wait (back-pressure)
    /// instead of growing memory without bound.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = DefaultMaxQueuedWrites;

    /// <summary>
    /// How long a statement waits for a lock held by another connection (another process on the
    /// same file, or a checkpoint) before failing with "database is locked".
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;
}
