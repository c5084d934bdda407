using System.Globalization;
using Agents.AdoNet.Storage;
using Agents.Runtime.Reminders;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Sqlite.Reminders;

/*
 * SQLite reminder table: the reminders of one silo, in a file (IReminderTable).
 *
 * Invariants, and why they hold:
 *  1. One connection, used by one operation at a time (_gate), in WAL mode with synchronous=FULL:
 *     an upsert that returned is on disk. Other connections to the file (the grain state writer)
 *     take turns through SQLite's lock, waiting up to BusyTimeout.
 *  2. One row per (grain, name): the primary key; an upsert is one INSERT ... ON CONFLICT DO UPDATE.
 *  3. ETags are random GUIDs minted per upsert, so an ETag from before a delete never matches again.
 *  4. grain_hash holds the unsigned ring hash mapped order-preserving onto SQLite's signed integers
 *     (HashRange.ToOrderedInt64), so BETWEEN on the mapped bounds selects exactly the range.
 *  5. Readable in the sqlite3 shell: times are ISO-8601 UTC text with microseconds, periods whole
 *     microseconds.
 */

/// <summary>The reminder table of a single silo in a SQLite file. Dispose to close the file.</summary>
public sealed partial class SqliteReminderTable : IReminderTable, IAsyncDisposable
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private const string Columns = "grain_id, reminder_name, start_at, period_us, etag";

    private readonly SqliteConnectionFactory _connections;
    private readonly string _table;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly StorageLifecycle _lifecycle;
    private readonly ILogger _logger;
    private SqliteConnection? _connection;

    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public SqliteReminderTable(SqliteReminderOptions options, ILogger<SqliteReminderTable> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new SqliteReminderOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SqliteReminderOptions), validation.Failures);
        }

        _connections = new SqliteConnectionFactory(options.DataSource, options.BusyTimeout);
        _table = options.TableName;
        _logger = logger;
        _lifecycle = new StorageLifecycle(InitializeCoreAsync, () => new ObjectDisposedException(nameof(SqliteReminderTable), $"The reminder table '{_table}' of {DataSource} has been disposed."));
    }

    /// <summary>The absolute path of the database file.</summary>
    public string DataSource => _connections.DataSource;

    private string Location => $"table '{_table}' of '{DataSource}'";

    public Task InitializeAsync(CancellationToken cancellationToken = default) => _lifecycle.InitializeAsync(cancellationToken);

    public async Task<ReminderEntry?> ReadRowAsync(GrainId grain, string reminderName, CancellationToken cancellationToken = default)
    {
        var rows = await ReadAsync(
            $"SELECT {Columns} FROM \"{_table}\" WHERE grain_id = @grain AND reminder_name = @name",
            c => AddKey(c, grain, reminderName), $"reading reminder '{reminderName}' of {grain}", cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grain, CancellationToken cancellationToken = default) =>
        ReadAsync(
            $"SELECT {Columns} FROM \"{_table}\" WHERE grain_id = @grain ORDER BY reminder_name",
            c => c.Parameters.AddWithValue("@grain", grain.ToString()), $"reading the reminders of {grain}", cancellationToken);

    public async Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(IReadOnlyList<HashRange> ranges, CancellationToken cancellationToken = default)
    {
        var rows = new List<ReminderEntry>();
        // Disjoint ranges, one indexed range read each.
        foreach (var range in HashRange.Merge(ranges))
        {
            rows.AddRange(await ReadAsync(
                $"SELECT {Columns} FROM \"{_table}\" WHERE grain_hash BETWEEN @lo AND @hi",
                c =>
                {
                    c.Parameters.AddWithValue("@lo", HashRange.ToOrderedInt64(range.Start));
                    c.Parameters.AddWithValue("@hi", HashRange.ToOrderedInt64(range.End));
                },
                $"reading the reminders of hash range {range}", cancellationToken));
        }

        return rows;
    }

    public async Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entry.Validate();
        var etag = Guid.NewGuid().ToString("N");
        await ExecuteAsync(
            $"""
            INSERT INTO "{_table}" (grain_id, reminder_name, grain_hash, start_at, period_us, etag)
            VALUES (@grain, @name, @hash, @start, @period, @etag)
            ON CONFLICT (grain_id, reminder_name) DO UPDATE
                SET grain_hash = excluded.grain_hash, start_at = excluded.start_at, period_us = excluded.period_us, etag = excluded.etag
            """,
            c =>
            {
                AddKey(c, entry.GrainId, entry.ReminderName);
                c.Parameters.AddWithValue("@hash", HashRange.ToOrderedInt64(entry.GrainHash));
                c.Parameters.AddWithValue("@start", entry.StartAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
                c.Parameters.AddWithValue("@period", entry.Period.Ticks / TimeSpan.TicksPerMicrosecond);
                c.Parameters.AddWithValue("@etag", etag);
            },
            $"writing reminder '{entry.ReminderName}' of {entry.GrainId}", cancellationToken);
        return etag;
    }

    public async Task<bool> RemoveRowAsync(GrainId grain, string reminderName, string etag, CancellationToken cancellationToken = default) =>
        await ExecuteAsync(
            $"DELETE FROM \"{_table}\" WHERE grain_id = @grain AND reminder_name = @name AND etag = @etag",
            c =>
            {
                AddKey(c, grain, reminderName);
                c.Parameters.AddWithValue("@etag", etag);
            },
            $"removing reminder '{reminderName}' of {grain}", cancellationToken) == 1;

    /// <summary>Waits for an operation in flight and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!await _lifecycle.TryBeginDisposeAsync())
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            _connection?.Dispose();
            _connection = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task InitializeCoreAsync()
    {
        try
        {
            var connection = _connections.OpenWriter();
            SqliteConnectionFactory.Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS "{_table}" (
                    grain_id      TEXT    NOT NULL,
                    reminder_name TEXT    NOT NULL,
                    grain_hash    INTEGER NOT NULL,
                    start_at      TEXT    NOT NULL,
                    period_us     INTEGER NOT NULL CHECK (period_us > 0),
                    etag          TEXT    NOT NULL,
                    PRIMARY KEY (grain_id, reminder_name)
                ) WITHOUT ROWID;
                CREATE INDEX IF NOT EXISTS "{_table}_by_hash" ON "{_table}" (grain_hash);
                """);
            _connection = connection;
            LogInitialized(_logger, _table, DataSource);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            throw new AgentsException($"The SQLite reminder table could not prepare {Location}: {ex.Message}", ex);
        }
    }

    private async Task<IReadOnlyList<ReminderEntry>> ReadAsync(string sql, Action<SqliteCommand> parameters, string action, CancellationToken cancellationToken)
    {
        return await RunAsync(command =>
        {
            command.CommandText = sql;
            parameters(command);
            using var reader = command.ExecuteReader();
            var rows = new List<ReminderEntry>();
            while (reader.Read())
            {
                var start = DateTimeOffset.ParseExact(reader.GetString(2), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                rows.Add(new ReminderEntry(GrainId.Parse(reader.GetString(0)), reader.GetString(1), start, TimeSpan.FromMicroseconds(reader.GetInt64(3)))
                {
                    ETag = reader.GetString(4),
                });
            }

            return (IReadOnlyList<ReminderEntry>)rows;
        }, action, cancellationToken);
    }

    private Task<int> ExecuteAsync(string sql, Action<SqliteCommand> parameters, string action, CancellationToken cancellationToken) =>
        RunAsync(command =>
        {
            command.CommandText = sql;
            parameters(command);
            return command.ExecuteNonQuery();
        }, action, cancellationToken);

    private async Task<T> RunAsync<T>(Func<SqliteCommand, T> run, string action, CancellationToken cancellationToken)
    {
        _lifecycle.ThrowIfDisposed();
        await _lifecycle.EnsureInitializedAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var connection = _connection ?? throw new ObjectDisposedException(nameof(SqliteReminderTable));
            using var command = connection.CreateCommand();
            command.CommandTimeout = _connections.CommandTimeoutSeconds;
            return run(command);
        }
        catch (Exception ex) when (ex is SqliteException or FormatException)
        {
            throw new AgentsException($"The reminder table failed {action} in {Location}: {ex.Message}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void AddKey(SqliteCommand command, GrainId grain, string reminderName)
    {
        command.Parameters.AddWithValue("@grain", grain.ToString());
        command.Parameters.AddWithValue("@name", reminderName);
    }

    [LoggerMessage(EventId = 2421, Level = LogLevel.Information, Message = "SQLite reminders ready: table {TableName} in {DataSource}")]
    private static partial void LogInitialized(ILogger logger, string tableName, string dataSource);
}
