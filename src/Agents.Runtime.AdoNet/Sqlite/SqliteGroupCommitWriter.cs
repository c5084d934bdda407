using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Agents.AdoNet.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// The single writer of one SQLite storage provider: group commit.
/// </summary>
/// <remarks>
/// <para>
/// Writes from any number of grains go into a bounded channel. One loop owns the write connection;
/// it takes everything queued (up to <see cref="SqliteGrainStorageOptions.MaxBatchSize"/>), runs
/// each write as its own compare-and-swap statement inside one <c>BEGIN IMMEDIATE</c> transaction,
/// commits once — one disk sync for the whole batch — and only then completes the callers' tasks.
/// No timer: while one batch syncs, the next one accumulates, so batches grow with load and a lone
/// write is committed at once.
/// </para>
/// <para>
/// Per-write semantics survive batching because every statement is a single-row compare-and-swap:
/// a mismatched ETag changes zero rows, so the conflict needs no rollback and affects no other
/// write in the batch. Writes to the same record within a batch apply in queue order, exactly as
/// if they had been committed one by one. Any other failure (I/O, disk full, a lock held past the
/// busy timeout) rolls the whole batch back and fails each of its writes; nothing in it is stored,
/// the connection is reopened for the next batch, and the callers may retry.
/// </para>
/// <para>
/// SQLite calls are synchronous; the loop blocks a thread-pool thread while a batch commits,
/// which is the price of a synchronous driver and bounded to one thread per provider.
/// </para>
/// </remarks>
internal sealed partial class SqliteGroupCommitWriter : IAsyncDisposable
{
    private readonly SqliteConnectionFactory _factory;
    private readonly SqliteGrainStorageSchema _schema;
    private readonly StorageErrors _errors;
    private readonly ILogger _logger;
    private readonly int _maxBatchSize;
    private readonly Channel<StateWrite> _queue;
    private readonly Task _loop;
    private Statements? _statements;

    /// <summary>Starts the writer on <paramref name="connection"/>, which it now owns.</summary>
    public SqliteGroupCommitWriter(
        SqliteConnection connection,
        SqliteConnectionFactory factory,
        SqliteGrainStorageSchema schema,
        SqliteGrainStorageOptions options,
        StorageErrors errors,
        ILogger logger)
    {
        _factory = factory;
        _schema = schema;
        _errors = errors;
        _logger = logger;
        _maxBatchSize = options.MaxBatchSize;
        _queue = Channel.CreateBounded<StateWrite>(new BoundedChannelOptions(options.MaxQueuedWrites)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _statements = new Statements(connection, schema);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a write; its outcome arrives on <see cref="StateWrite.Completion"/>.</summary>
    public ValueTask EnqueueAsync(StateWrite write, CancellationToken cancellationToken)
    {
        // Fast path: room in the queue. Only a full queue (back-pressure) or a closed one goes async.
        return _queue.Writer.TryWrite(write) ? default : EnqueueSlowAsync(write, cancellationToken);
    }

    /// <summary>Stops accepting writes, commits everything already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _statements?.Dispose();
        _statements = null;
    }

    private async ValueTask EnqueueSlowAsync(StateWrite write, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            // Closed cleanly by DisposeAsync, or with the fault that stopped the loop.
            throw ex.InnerException is null ? _errors.Disposed() : _errors.WriteFailed(write, ex.InnerException);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<StateWrite>(_maxBatchSize);
        var outcomes = new List<long?>(_maxBatchSize);

        try
        {
            // WaitToReadAsync keeps returning true until the channel is completed *and* empty, so
            // disposal drains every write accepted before it.
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var write))
                {
                    if (write.TryClaim())
                    {
                        batch.Add(write);
                    }
                }

                if (batch.Count > 0)
                {
                    CommitBatch(batch, outcomes);
                    batch.Clear();
                    outcomes.Clear();
                }
            }
        }
        catch (Exception ex)
        {
            // CommitBatch does not throw, so this is a bug; still, no caller may wait forever.
            LogWriterStopped(_logger, ex, _schema.TableName);
            _queue.Writer.TryComplete(ex);
            foreach (var write in batch)
            {
                write.Fail(_errors.WriteFailed(write, ex));
            }

            while (_queue.Reader.TryRead(out var write))
            {
                write.Fail(_errors.WriteFailed(write, ex));
            }
        }
    }

    /// <summary>Commits one batch and completes its writes. Never throws: every failure lands on the writes.</summary>
    private void CommitBatch(List<StateWrite> batch, List<long?> outcomes)
    {
        var started = Stopwatch.GetTimestamp();
        var conflicts = 0;
        try
        {
            var statements = _statements ??= new Statements(_factory.OpenWriter(), _schema);
            using (var transaction = statements.Begin())
            {
                foreach (var write in batch)
                {
                    var version = statements.Apply(write);
                    outcomes.Add(version);
                    conflicts += version is null ? 1 : 0;
                }

                transaction.Commit();
            }
        }
        catch (Exception ex)
        {
            // Disposing the transaction rolled back whatever it could. Start the next batch on a
            // fresh connection in case this one is wedged (e.g. an I/O error left it unusable).
            LogBatchFailed(_logger, ex, batch.Count, _schema.TableName);
            _statements?.Dispose();
            _statements = null;
            foreach (var write in batch)
            {
                write.Fail(_errors.WriteFailed(write, ex));
            }

            return;
        }

        // Committed: report each write's own outcome. A conflict's stored version is read again
        // only now, after commit, on the same (still exclusively owned) connection.
        for (var i = 0; i < batch.Count; i++)
        {
            var write = batch[i];
            if (outcomes[i] is { } version)
            {
                write.Succeed(version);
            }
            else
            {
                ReportConflict(write);
            }
        }

        LogBatchCommitted(_logger, batch.Count, conflicts, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private void ReportConflict(StateWrite write)
    {
        long? stored;
        try
        {
            stored = _statements!.Probe(write, transaction: null);
        }
        catch (Exception ex)
        {
            // The conflict is certain; only the detail is missing.
            LogProbeFailed(_logger, ex, write.GrainId, write.StateName);
            stored = null;
        }

        LogEtagConflict(_logger, write.GrainId, write.StateName, write.Etag, stored);
        write.Fail(_errors.Conflict(write, stored));
    }

    /// <summary>The writer's prepared statements on its connection.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _update;
        private readonly SqliteCommand _clear;
        private readonly SqliteCommand _probe;

        public Statements(SqliteConnection connection, SqliteGrainStorageSchema schema)
        {
            _connection = connection;
            try
            {
                _insert = Prepare(schema.Insert, withPayload: true, withExpected: false);
                _update = Prepare(schema.Update, withPayload: true, withExpected: true);
                _clear = Prepare(schema.Clear, withPayload: false, withExpected: true);
                _probe = Prepare(schema.Probe, withPayload: false, withExpected: false);
            }
            catch
            {
                // Disposing the connection also finalizes any statement already prepared on it.
                connection.Dispose();
                throw;
            }
        }

        public SqliteTransaction Begin()
        {
            // Immediate: take the write lock up front, so no statement in the batch can hit
            // SQLITE_BUSY halfway through because another process started writing.
            var transaction = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = _update.Transaction = _clear.Transaction = _probe.Transaction = transaction;
            return transaction;
        }

        /// <summary>Runs one write; the new version, or null if its ETag did not match (nothing changed).</summary>
        public long? Apply(StateWrite write)
        {
            var expected = ParseEtag(write.Etag);
            switch (write.Kind)
            {
                case StateWriteKind.Write when expected is null:
                    Bind(_insert, write, expected);
                    return _insert.ExecuteScalar() is long inserted ? inserted : null;

                case StateWriteKind.Write:
                    Bind(_update, write, expected);
                    return _update.ExecuteNonQuery() == 1 ? expected + 1 : null;

                case StateWriteKind.Clear when write.Etag is null:
                    // Clearing with no ETag succeeds only if there is no record; nothing to change.
                    return Probe(write, _probe.Transaction) is null ? 0 : null;

                default:
                    Bind(_clear, write, expected);
                    return _clear.ExecuteNonQuery() == 1 ? expected + 1 : null;
            }
        }

        /// <summary>The version of the live record, or null if there is none.</summary>
        public long? Probe(StateWrite write, SqliteTransaction? transaction)
        {
            _probe.Transaction = transaction;
            Bind(_probe, write, expected: null);
            return _probe.ExecuteScalar() is long version ? version : null;
        }

        public void Dispose()
        {
            _insert.Dispose();
            _update.Dispose();
            _clear.Dispose();
            _probe.Dispose();
            _connection.Dispose();
        }

        // Our ETags are positive decimal versions. Anything else (another provider's ETag, a typo)
        // can match no row: version 0 is excluded by the table's CHECK constraint.
        private static long? ParseEtag(string? etag) =>
            etag is null ? null
            : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0 ? version
            : 0;

        private static void Bind(SqliteCommand command, StateWrite write, long? expected)
        {
            var parameters = command.Parameters;
            parameters["@type"].Value = write.GrainId.Type.Value;
            parameters["@key"].Value = write.GrainId.Key;
            parameters["@name"].Value = write.StateName;
            if (parameters.Contains("@payload"))
            {
                parameters["@payload"].Value = write.Payload;
            }

            if (parameters.Contains("@expected"))
            {
                parameters["@expected"].Value = expected ?? 0;
            }
        }

        private SqliteCommand Prepare(string sql, bool withPayload, bool withExpected)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.Add("@type", SqliteType.Text);
            command.Parameters.Add("@key", SqliteType.Text);
            command.Parameters.Add("@name", SqliteType.Text);
            if (withPayload)
            {
                command.Parameters.Add("@payload", SqliteType.Blob);
            }

            if (withExpected)
            {
                command.Parameters.Add("@expected", SqliteType.Integer);
            }

            command.Prepare();
            return command;
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Trace, Message = "Committed a batch of {Count} state writes ({Conflicts} ETag conflicts) in {ElapsedMs:F2} ms")]
    private static partial void LogBatchCommitted(ILogger logger, int count, int conflicts, double elapsedMs);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "ETag conflict on state {StateName} of grain {GrainId}: caller held {HeldEtag}, storage holds {StoredVersion}")]
    private static partial void LogEtagConflict(ILogger logger, GrainId grainId, string stateName, string? heldEtag, long? storedVersion);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "A batch of {Count} state writes to table {TableName} failed and was rolled back; each write was failed")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, string tableName);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Could not read the stored version of state {StateName} of grain {GrainId} after an ETag conflict")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, GrainId grainId, string stateName);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Critical, Message = "The state writer for table {TableName} stopped unexpectedly; further writes fail")]
    private static partial void LogWriterStopped(ILogger logger, Exception exception, string tableName);
}
