using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Agents.AdoNet.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// The write path of one PostgreSQL storage provider: group commit across grains.
/// </summary>
/// <remarks>
/// <para>
/// Writes from any number of grains go into a bounded channel. <see cref="PostgresGrainStorageOptions.MaxConcurrentBatches"/>
/// lanes take what is queued (up to <see cref="PostgresGrainStorageOptions.MaxBatchSize"/> each) and
/// send it as one <see cref="NpgsqlBatch"/>: every write is its own single-row compare-and-swap
/// statement, all of them pipelined in one round trip and run by the server in one implicit
/// transaction that commits at the batch's end — one WAL flush for the whole batch. Callers' tasks
/// complete only after the batch's result has been read to the end, that is after the commit.
/// No timer: while one batch commits the next accumulates, so batches grow with load and a lone
/// write is sent at once.
/// </para>
/// <para>
/// Per-write semantics survive batching because a mismatched ETag changes zero rows and raises no
/// error: the conflict needs no rollback and affects no other write. Writes to the same row apply in
/// queue order. A statement the server rejects for its own data (class 22/23/54, e.g. a payload
/// that is not valid JSON for a jsonb column) aborts the transaction; that write alone is failed and
/// the rest of the batch is sent again, so a bad payload costs nothing else. A deadlock or other
/// transient server error retries the batch (the server rolled it back); anything else fails every
/// write of the batch with an exception that says whether the outcome is known.
/// </para>
/// <para>
/// Each batch is sorted by row before it is sent, so concurrent batches take row locks in one order
/// and can wait for each other but never deadlock.
/// </para>
/// </remarks>
internal sealed partial class PostgresBatchWriter : IAsyncDisposable
{
    private const int MaxTransientRetries = 3;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresGrainStorageSchema _schema;
    private readonly StorageErrors _errors;
    private readonly ILogger _logger;
    private readonly int _maxBatchSize;
    private readonly int _commandTimeoutSeconds;
    private readonly Channel<PostgresStateWrite> _queue;
    private readonly Task[] _lanes;

    public PostgresBatchWriter(
        NpgsqlDataSource dataSource,
        PostgresGrainStorageSchema schema,
        PostgresGrainStorageOptions options,
        StorageErrors errors,
        ILogger logger)
    {
        _dataSource = dataSource;
        _schema = schema;
        _errors = errors;
        _logger = logger;
        _maxBatchSize = options.MaxBatchSize;
        _commandTimeoutSeconds = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        _queue = Channel.CreateBounded<PostgresStateWrite>(new BoundedChannelOptions(options.MaxQueuedWrites)
        {
            SingleReader = options.MaxConcurrentBatches == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lanes = new Task[options.MaxConcurrentBatches];
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = Task.Run(RunLaneAsync);
        }
    }

    /// <summary>Queues a write; its outcome arrives on <see cref="StateWrite.Completion"/>.</summary>
    public ValueTask EnqueueAsync(PostgresStateWrite write, CancellationToken cancellationToken) =>
        // Fast path: room in the queue. Only a full queue (back-pressure) or a closed one goes async.
        _queue.Writer.TryWrite(write) ? default : EnqueueSlowAsync(write, cancellationToken);

    /// <summary>Stops accepting writes and commits everything already queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_lanes).ConfigureAwait(false);
    }

    private async ValueTask EnqueueSlowAsync(PostgresStateWrite write, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            // Closed cleanly by DisposeAsync, or with the fault that stopped a lane.
            throw ex.InnerException is null ? _errors.Disposed() : _errors.WriteFailed(write, ex.InnerException);
        }
    }

    private async Task RunLaneAsync()
    {
        var batch = new List<PostgresStateWrite>(_maxBatchSize);
        try
        {
            while (true)
            {
                // ReadAsync hands a new write to one waiting lane (WaitToReadAsync would wake them all);
                // that lane then takes whatever else is queued. It throws ChannelClosedException once
                // the channel is completed *and* empty, so disposal drains every write accepted before it.
                PostgresStateWrite first;
                try
                {
                    first = await _queue.Reader.ReadAsync().ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }

                if (first.TryClaim())
                {
                    batch.Add(first);
                }

                while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var write))
                {
                    if (write.TryClaim())
                    {
                        batch.Add(write);
                    }
                }

                if (batch.Count > 0)
                {
                    await CommitAsync(batch).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }
        catch (Exception ex)
        {
            // CommitAsync does not throw, so this is a bug; still, no caller may wait forever.
            LogWriterStopped(_logger, ex, _schema.TableName);
            _queue.Writer.TryComplete(ex);
            foreach (var write in batch)
            {
                write.Fail(_errors.WriteFailed(write, ex, outcomeUnknown: true));
            }

            while (_queue.Reader.TryRead(out var write))
            {
                write.Fail(_errors.WriteFailed(write, ex));
            }
        }
    }

    /// <summary>Commits one batch and completes its writes. Never throws: every failure lands on the writes.</summary>
    private async Task CommitAsync(List<PostgresStateWrite> pending)
    {
        pending.Sort(PostgresStateWrite.CompareByRow);
        var started = Stopwatch.GetTimestamp();
        var retries = 0;
        while (pending.Count > 0)
        {
            NpgsqlConnection? connection = null;
            NpgsqlBatch? batch = null;
            var progress = new BatchProgress();
            var sent = false;
            try
            {
                connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                batch = CreateBatch(connection, pending);
                sent = true;
                var outcomes = await ExecuteAsync(batch, pending, progress).ConfigureAwait(false);

                // Committed: report each write's own outcome. A conflict's stored version is read
                // only now, after commit, for the exception's detail.
                var conflicts = 0;
                for (var i = 0; i < pending.Count; i++)
                {
                    if (outcomes[i] is { } version)
                    {
                        pending[i].Succeed(version);
                    }
                    else
                    {
                        conflicts++;
                        await ReportConflictAsync(connection, pending[i]).ConfigureAwait(false);
                    }
                }

                LogBatchCommitted(_logger, pending.Count, conflicts, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (PostgresException ex) when (IsWriteSpecific(ex.SqlState) && progress.Statement >= 0 && progress.Statement < pending.Count)
            {
                // The server rolled the whole transaction back; only this write is at fault.
                var index = progress.Statement;
                var write = pending[index];
                LogWriteRejected(_logger, ex, write.GrainId, write.StateName, ex.SqlState);
                ForgetPreparedStatements(connection);
                write.Fail(_errors.WriteFailed(write, ex));
                pending.RemoveAt(index);
            }
            catch (PostgresException ex) when (ex.IsTransient && ++retries <= MaxTransientRetries)
            {
                LogBatchRetried(_logger, ex, pending.Count, ex.SqlState, retries);
                ForgetPreparedStatements(connection);
                if (ex.InvariantSeverity == "FATAL")
                {
                    // The server ended the session (e.g. it restarted): its idle siblings in the pool are dead too.
                    _dataSource.Clear();
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20 * retries)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // An error the server reports in-session means a rolled-back transaction; a broken
                // connection (or a FATAL that ends the session) after sending leaves the commit's fate unknown.
                var outcomeUnknown = sent && (ex is not PostgresException pg || pg.InvariantSeverity is "FATAL" or "PANIC");
                LogBatchFailed(_logger, ex, pending.Count, _schema.TableName, outcomeUnknown);
                foreach (var write in pending)
                {
                    write.Fail(_errors.WriteFailed(write, ex, outcomeUnknown));
                }

                return;
            }
            finally
            {
                if (batch is not null)
                {
                    await batch.DisposeAsync().ConfigureAwait(false);
                }

                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Drops the connection's prepared statements after a statement of a batch failed. Npgsql 10
    /// auto-prepares a statement on its fifth use by sending Parse with that execution; when that
    /// execution's Bind fails (as a bad jsonb value does), the server keeps the statement but Npgsql
    /// never records its result shape, and the next use on that connection fails with "unexpected
    /// DataRow" (npgsql/npgsql#6391). Unpreparing everything resets both sides; statements are
    /// prepared again on later use. Best effort: a broken connection is discarded by the pool anyway.
    /// </summary>
    /// <remarks>Npgsql has no async UnprepareAll; this rare path blocks its thread for one round trip.</remarks>
    private void ForgetPreparedStatements(NpgsqlConnection? connection)
    {
        if (connection is not { State: System.Data.ConnectionState.Open })
        {
            return;
        }

        try
        {
            connection.UnprepareAll();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LogUnprepareFailed(_logger, ex, _schema.TableName);
        }
    }

    /// <summary>Runs the batch; per write, the new version or null for an ETag mismatch (nothing changed).</summary>
    /// <remarks>
    /// Results arrive in statement order, so an error raised while moving to statement i's result is
    /// statement i's (Npgsql leaves <c>PostgresException.BatchCommand</c> unset for errors in a
    /// statement's Bind, such as a bad jsonb value); <paramref name="progress"/> records i. An error after
    /// the last result is the commit's and belongs to the whole batch.
    /// </remarks>
    private static async Task<long?[]> ExecuteAsync(NpgsqlBatch batch, List<PostgresStateWrite> pending, BatchProgress progress)
    {
        var outcomes = new long?[pending.Count];
        progress.Statement = 0;
        await using var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
        for (var i = 0; i < pending.Count; i++)
        {
            progress.Statement = i;
            if (i > 0 && !await reader.NextResultAsync().ConfigureAwait(false))
            {
                throw new InvalidOperationException($"The server returned {i} results for a batch of {pending.Count} statements.");
            }

            var hasRow = await reader.ReadAsync().ConfigureAwait(false);
            outcomes[i] = IsNullEtagClear(pending[i])
                ? (hasRow ? null : 0) // the probe found a live record: a conflict
                : (hasRow ? reader.GetInt64(0) : null);
        }

        // The implicit transaction commits at the end of the batch; a failure to commit surfaces here.
        progress.Statement = pending.Count;
        while (await reader.NextResultAsync().ConfigureAwait(false))
        {
        }

        return outcomes;
    }

    private NpgsqlBatch CreateBatch(NpgsqlConnection connection, List<PostgresStateWrite> pending)
    {
        var batch = new NpgsqlBatch(connection) { Timeout = _commandTimeoutSeconds };
        foreach (var write in pending)
        {
            var expected = ParseEtag(write.Etag);
            var command = write switch
            {
                { Kind: StateWriteKind.Write } when expected is null => Command(_schema.Insert, write, withPayload: true, expected: null),
                { Kind: StateWriteKind.Write } => Command(_schema.Update, write, withPayload: true, expected),
                _ when expected is null => Command(_schema.Probe, write, withPayload: false, expected: null),
                _ => Command(_schema.Clear, write, withPayload: false, expected),
            };
            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private NpgsqlBatchCommand Command(string sql, PostgresStateWrite write, bool withPayload, long? expected)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddKey(command.Parameters, write);
        if (withPayload)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = _schema.PayloadType, Value = write.Payload });
        }

        if (expected is { } version)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = version });
        }

        return command;
    }

    private async Task ReportConflictAsync(NpgsqlConnection connection, PostgresStateWrite write)
    {
        long? stored;
        try
        {
            await using var probe = new NpgsqlCommand(_schema.Probe, connection) { CommandTimeout = _commandTimeoutSeconds };
            AddKey(probe.Parameters, write);
            stored = await probe.ExecuteScalarAsync().ConfigureAwait(false) is long version ? version : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The conflict is certain; only the detail is missing.
            LogProbeFailed(_logger, ex, write.GrainId, write.StateName);
            stored = null;
        }

        LogEtagConflict(_logger, write.GrainId, write.StateName, write.Etag, stored);
        write.Fail(_errors.Conflict(write, stored));
    }

    private static void AddKey(NpgsqlParameterCollection parameters, PostgresStateWrite write)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = write.GrainId.Type.Value });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = write.GrainId.Key });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = write.StateName });
    }

    private static bool IsNullEtagClear(PostgresStateWrite write) => write is { Kind: StateWriteKind.Clear, Etag: null };

    // Our ETags are positive decimal versions. Anything else (another provider's ETag, a typo) can
    // match no row: version 0 is excluded by the table's CHECK constraint.
    private static long? ParseEtag(string? etag) =>
        etag is null ? null
        : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0 ? version
        : 0;

    // Data exceptions (22: bad JSON, a NUL character, an untranslatable character), integrity
    // violations (23) and program limits (54: a value too large) belong to one statement's input.
    private static bool IsWriteSpecific(string sqlState) =>
        sqlState.StartsWith("22", StringComparison.Ordinal)
        || sqlState.StartsWith("23", StringComparison.Ordinal)
        || sqlState.StartsWith("54", StringComparison.Ordinal);

    /// <summary>Which statement of a batch the reader is at, for attributing an error to its write; -1 before the batch runs.</summary>
    private sealed class BatchProgress
    {
        public int Statement { get; set; } = -1;
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Trace, Message = "Committed a batch of {Count} state writes ({Conflicts} ETag conflicts) in {ElapsedMs:F2} ms")]
    private static partial void LogBatchCommitted(ILogger logger, int count, int conflicts, double elapsedMs);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Debug, Message = "ETag conflict on state {StateName} of grain {GrainId}: caller held {HeldEtag}, storage holds {StoredVersion}")]
    private static partial void LogEtagConflict(ILogger logger, GrainId grainId, string stateName, string? heldEtag, long? storedVersion);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Error, Message = "A batch of {Count} state writes to table {TableName} failed; each write was failed (outcome unknown: {OutcomeUnknown})")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, string tableName, bool outcomeUnknown);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "Could not read the stored version of state {StateName} of grain {GrainId} after an ETag conflict")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, GrainId grainId, string stateName);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Critical, Message = "A state writer lane for table {TableName} stopped unexpectedly; further writes fail")]
    private static partial void LogWriterStopped(ILogger logger, Exception exception, string tableName);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Warning, Message = "The server rejected the write of state {StateName} of grain {GrainId} ({SqlState}); the rest of its batch is sent again")]
    private static partial void LogWriteRejected(ILogger logger, Exception exception, GrainId grainId, string stateName, string sqlState);

    [LoggerMessage(EventId = 2307, Level = LogLevel.Warning, Message = "A batch of {Count} state writes hit a transient server error ({SqlState}) and was rolled back; retry {Retry}")]
    private static partial void LogBatchRetried(ILogger logger, Exception exception, int count, string sqlState, int retry);

    [LoggerMessage(EventId = 2308, Level = LogLevel.Debug, Message = "Could not drop the prepared statements of a connection to table {TableName} after a failed batch; the pool discards it if it is broken")]
    private static partial void LogUnprepareFailed(ILogger logger, Exception exception, string tableName);
}
