using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// Opens configured connections to one database file. Every connection gets the busy timeout;
/// the writer also gets WAL mode and <c>synchronous=FULL</c>, readers get <c>query_only</c>.
/// Microsoft.Data.Sqlite's own pooling is off: the provider keeps its connections open itself,
/// and a disposed provider must release the file (tests delete it; operators move it).
/// </summary>
internal sealed class SqliteConnectionFactory
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    static SqliteConnectionFactory() => SQLitePCL.Batteries_V2.Init();

    public SqliteConnectionFactory(string dataSource, TimeSpan busyTimeout)
    {
        DataSource = Path.GetFullPath(dataSource);
        _busyTimeoutMs = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 0, int.MaxValue);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DataSource,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString();
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DataSource { get; }

    /// <summary>
    /// Microsoft.Data.Sqlite retries "busy" itself for up to the command timeout (whole seconds) on
    /// top of SQLite's busy handler; keep both close to the configured budget.
    /// </summary>
    public int CommandTimeoutSeconds => Math.Max(1, (_busyTimeoutMs + 999) / 1000);

    public SqliteConnection OpenWriter()
    {
        var connection = Open();
        try
        {
            // journal_mode is stored in the file; setting it on every start is idempotent and
            // converts a database created elsewhere in rollback-journal mode.
            var mode = Convert.ToString(Scalar(connection, "PRAGMA journal_mode=WAL;"), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL journal mode for '{DataSource}' (got '{mode}').");
            }

            // FULL syncs the WAL on every commit: a committed batch survives power loss, which is
            // what "a WriteStateAsync that returned is durable" requires. NORMAL would not.
            Execute(connection, "PRAGMA synchronous=FULL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public SqliteConnection OpenReader()
    {
        var connection = Open();
        try
        {
            Execute(connection, "PRAGMA query_only=1;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString) { DefaultTimeout = CommandTimeoutSeconds };
        try
        {
            connection.Open();
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={_busyTimeoutMs};"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command.ExecuteScalar();
    }
}
