namespace Agents.AdoNet.Postgres;

/// <summary>How a PostgreSQL grain storage provider stores a state's bytes.</summary>
public enum PostgresStateFormat
{
    /// <summary>
    /// A <c>jsonb</c> column: people can read and query state with SQL (<c>payload-&gt;&gt;'name'</c>).
    /// Needs a serializer that produces JSON (the default one does).
    /// </summary>
    Json,

    /// <summary>A <c>bytea</c> column holding the serializer's bytes as they are; for non-JSON serializers.</summary>
    Binary,
}

/// <summary>
/// Settings of one PostgreSQL grain storage provider, bound from <c>Agents:Storage:&lt;name&gt;</c>.
/// Checked at start-up by <see cref="PostgresGrainStorageOptionsValidator"/>.
/// </summary>
public sealed class PostgresGrainStorageOptions
{
    /// <summary>The default of <see cref="TableName"/>.</summary>
    public const string DefaultTableName = "agents_grain_state";

    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 256;

    /// <summary>The default of <see cref="MaxConcurrentBatches"/>.</summary>
    public const int DefaultMaxConcurrentBatches = 4;

    /// <summary>The default of <see cref="MaxQueuedWrites"/>.</summary>
    public const int DefaultMaxQueuedWrites = 16_384;

    /// <summary>The default of <see cref="CommandTimeout"/>.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An Npgsql connection string, e.g. <c>Host=db;Database=agents;Username=agents;Password=...</c>.
    /// The database must exist; the provider creates its tables. Required.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The table holding grain state, in the connection's search path. Several providers may share a
    /// database with different tables. Lower-case letters, digits and underscores only, so that
    /// people can type it in SQL without quotes.
    /// </summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// <see cref="PostgresStateFormat.Json"/> (default, readable <c>jsonb</c>) or
    /// <see cref="PostgresStateFormat.Binary"/> (<c>bytea</c>). Fixed when the table is created: a
    /// table created with one format is refused under the other.
    /// </summary>
    public PostgresStateFormat Format { get; set; } = PostgresStateFormat.Json;

    /// <summary>
    /// The most writes sent in one round trip and committed in one transaction (group commit). Each
    /// write keeps its own ETag check; larger batches amortise the commit's disk flush over more writes.
    /// </summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// How many batches may be committing at once, each on its own pooled connection. While some
    /// flush, the next fill up; must be below the connection string's Maximum Pool Size so reads
    /// always find a connection.
    /// </summary>
    public int MaxConcurrentBatches { get; set; } = DefaultMaxConcurrentBatches;

    /// <summary>
    /// The most writes waiting for a batch. When full, further writers wait (back-pressure) instead
    /// of growing memory without bound.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = DefaultMaxQueuedWrites;

    /// <summary>How long one read, one batch of writes or the schema set-up may run before it fails.</summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;
}
