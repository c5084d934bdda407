using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Hosting;
using Agents.Runtime.Membership;
using Agents.Runtime.Messaging.Remote;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Reminders;

/*
 * The reminder service of one silo: it ticks the reminders it owns.
 *
 * Invariants
 *  1. Ownership. A silo owns the reminders whose grain hash lies in its ranges of the ring built from
 *     the Active silos of its latest membership view (ConsistentHashRing.RangesOf: the same ring the
 *     grain directory uses); a silo outside a cluster owns every hash. Silos that see the same view
 *     agree on every owner without talking. While views differ (a silo joined or died moments ago),
 *     a reminder may tick on two silos, or on none until the views converge: ticks are at least once
 *     around a handover, never lost for longer than that plus one refresh.
 *  2. The table is the truth. The local set is rebuilt from the table on start, on every ring change,
 *     on every RemindersChanged for a grain this silo owns, and every RefreshPeriod. Rebuilds run one
 *     at a time (_gate) and each applies exactly what it read, so the last one to run wins.
 *  3. A local reminder is replaced when its row's ETag changed (registered again: a new schedule) and
 *     stopped when its row is gone or its grain left this silo's ranges.
 *  4. One tick in flight per reminder. The next is armed when it completes, at the first due time
 *     after now (StartAt + k × Period): ticks missed while a tick ran long are skipped, not replayed.
 *  4a. Catch-up. When a silo starts ticking a reminder that nobody was ticking - a new or changed
 *     registration, this silo's start with no live silo to take over from, a reminder of a silo that
 *     died or left - its latest due tick is delivered at once (earlier missed ones are not replayed).
 *     When a joining silo takes a reminder over from a silo that is still Active, which ticked it
 *     until the view changed, it waits for the next due time instead, so a join causes no extra tick.
 *  5. Ticking writes nothing: the table sees one write per registration, whatever the period.
 *  6. A tick is a call to the grain (ReminderTickRequest), so it activates the grain wherever the
 *     cluster places it; the owner of a reminder and the host of its grain are independent.
 */

/// <summary>Ticks the reminders this silo owns; see the invariants at the top of this file.</summary>
internal sealed partial class ReminderService : IHostedService, IAsyncDisposable, IReminderStatus
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);
    private const int NotifyAttempts = 3;

    private readonly IReminderTable _table;
    private readonly SiloRuntime _runtime;
    private readonly SiloCluster? _cluster;
    private readonly ReminderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(GrainId Grain, string Name), LocalReminder> _local = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _refresh;
    private volatile Ownership _ownership;
    private int _started;

    public ReminderService(
        IReminderTable table,
        SiloRuntime runtime,
        IOptions<ReminderOptions> options,
        TimeProvider time,
        ILogger<ReminderService> logger,
        SiloCluster? cluster = null)
    {
        _table = table;
        _runtime = runtime;
        _cluster = cluster;
        _options = options.Value;
        _time = time;
        _logger = logger;
        // Owns nothing until started: a registration message that comes earlier is told so, and retried.
        _ownership = cluster is null ? Ownership.Everything : Ownership.Nothing;
        _refresh = time.CreateTimer(static s => ((ReminderService)s!).OnRefreshDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        cluster?.Messages.AddSystemHandler(HandleSystemAsync, SystemOperation.RemindersChanged);
    }

    public int Ticking => LocalCount;

    /// <summary>Reminders this silo ticks now (diagnostics, tests).</summary>
    public int LocalCount
    {
        get
        {
            lock (_local)
            {
                return _local.Count;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _table.InitializeAsync(cancellationToken);
        Interlocked.Exchange(ref _started, 1);
        var catchUp = CatchUp.Everything;
        if (_cluster is not null)
        {
            _cluster.Membership.ViewChanged += OnViewChanged;
            var view = _cluster.Membership.View;
            _ownership = Ownership.Of(view, _cluster.Self);
            // The others ticked what this silo now owns until it joined (4a); alone, it takes over from nobody.
            catchUp = CatchUp.From(new ConsistentHashRing(view.ActiveSilos.Where(s => s != _cluster.Self)), view, _cluster.Self);
        }

        await ReloadAsync(catchUp, cancellationToken);
        LogStarted(_logger, LocalCount, _ownership.Describe());
    }

    public Task StopAsync(CancellationToken cancellationToken) => StopTickingAsync();

    // The token source is never disposed: in-flight work may still read its token, and it holds no timer.
    public async ValueTask DisposeAsync() => await StopTickingAsync();

    private async Task StopTickingAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_cluster is not null)
        {
            _cluster.Membership.ViewChanged -= OnViewChanged;
        }

        await _refresh.DisposeAsync();
        lock (_local)
        {
            foreach (var reminder in _local.Values)
            {
                reminder.Stop();
            }

            _local.Clear();
        }
    }

    /// <summary>
    /// Tells the owner of <paramref name="grain"/>'s reminders that its rows changed, so it ticks the
    /// new schedule now rather than at its next refresh. Never throws: the row is already durable, and
    /// an owner that missed the message reads it at its next refresh (or when ownership moves).
    /// </summary>
    public async Task NotifyChangedAsync(GrainId grain)
    {
        if (_cluster is null)
        {
            // Before start, the start's own read comes after the write and picks the row up.
            try
            {
                await ApplyGrainAsync(grain);
            }
            catch (AgentsException error)
            {
                LogNotifyFailed(_logger, grain, "this silo", error.Message, _options.RefreshPeriod);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }

            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            var owner = _ownership.OwnerOf(StableHash.Of(grain));
            try
            {
                if (owner is null)
                {
                    throw new AgentsException("this silo has no view of its cluster's Active silos yet");
                }

                if (owner == _cluster.Self)
                {
                    if (!await ApplyGrainAsync(grain))
                    {
                        throw new AgentsException($"this silo does not own the reminders of {grain} in its view");
                    }

                    return;
                }

                await _cluster.Messages.CallSystemAsync(owner.Value, SystemOperation.RemindersChanged, new SystemPayload(Grain: grain), NotifyTimeout, _stopping.Token);
                return;
            }
            catch (Exception error) when (error is AgentsException or TimeoutException)
            {
                if (attempt == NotifyAttempts)
                {
                    LogNotifyFailed(_logger, grain, owner?.ToString() ?? "the owner", error.Message, _options.RefreshPeriod);
                    return;
                }

                // The owner is gone or the ring moved: wait for the view to catch up, then tell the new owner.
                // Real time, like the directory's retries: a test's manual clock must not stall the transport.
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async ValueTask<SystemPayload> HandleSystemAsync(SystemOperation operation, SystemPayload payload)
    {
        if (!await ApplyGrainAsync(payload.Grain))
        {
            // The sender's ring differs from ours; it retries once its view catches up.
            throw new AgentsException($"silo {_cluster!.Self} does not own the reminders of {payload.Grain} in its view");
        }

        return SystemPayload.None;
    }

    private void OnViewChanged(MembershipView view)
    {
        var next = Ownership.Of(view, _cluster!.Self);
        if (next.SameRangesAs(_ownership))
        {
            return;
        }

        var previous = _ownership;
        _ownership = next;
        LogOwnershipChanged(_logger, view.ActiveSilos.Count, next.Describe());
        _ = ReloadLoggedAsync(previous.Ring is { } ring ? CatchUp.From(ring, view, _cluster.Self) : CatchUp.Everything);
    }

    // A reminder a refresh finds that is not ticking here was missed by its registration message: nobody ticked it.
    private void OnRefreshDue() => _ = ReloadLoggedAsync(CatchUp.Everything);

    private async Task ReloadLoggedAsync(CatchUp catchUp)
    {
        try
        {
            await ReloadAsync(catchUp, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads every reminder in this silo's ranges and makes the local set exactly those (invariant 2).</summary>
    private async Task ReloadAsync(CatchUp catchUp, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var next = _options.RefreshPeriod;
        try
        {
            var ownership = _ownership;
            var rows = ownership.Ranges.Count == 0 ? [] : await _table.ReadRowsAsync(ownership.Ranges, cancellationToken);
            Apply(rows, static _ => true, ownership, catchUp);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Keep ticking what we have; try again soon.
            next = RetryAfterFailure < next ? RetryAfterFailure : next;
            LogReloadFailed(_logger, error, next);
        }
        finally
        {
            _gate.Release();
            if (!_stopping.IsCancellationRequested)
            {
                try
                {
                    _refresh.Change(next, Timeout.InfiniteTimeSpan);
                }
                catch (ObjectDisposedException)
                {
                    // Stopping.
                }
            }
        }
    }

    /// <summary>Re-reads one grain's rows if this silo owns them; false when it does not.</summary>
    private async Task<bool> ApplyGrainAsync(GrainId grain)
    {
        if (Volatile.Read(ref _started) == 0 || !_ownership.Owns(StableHash.Of(grain)))
        {
            return false;
        }

        await _gate.WaitAsync(_stopping.Token);
        try
        {
            var ownership = _ownership;
            if (!ownership.Owns(StableHash.Of(grain)))
            {
                return false;
            }

            var rows = await _table.ReadRowsAsync(grain, _stopping.Token);
            Apply(rows, key => key.Grain == grain, ownership, CatchUp.Everything);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes the local reminders within <paramref name="scope"/> exactly the owned ones among
    /// <paramref name="rows"/>: new rows start, rows with a new ETag restart, and local ones
    /// not read back (or no longer owned) stop.
    /// </summary>
    private void Apply(IReadOnlyList<ReminderEntry> rows, Func<(GrainId Grain, string Name), bool> scope, Ownership ownership, CatchUp catchUp)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var read = new Dictionary<(GrainId, string), ReminderEntry>(rows.Count);
        foreach (var row in rows)
        {
            if (ownership.Owns(row.GrainHash))
            {
                read[(row.GrainId, row.ReminderName)] = row;
            }
        }

        var now = _time.GetUtcNow();
        lock (_local)
        {
            foreach (var (key, reminder) in _local.ToList())
            {
                if (!scope(key))
                {
                    continue;
                }

                if (!read.TryGetValue(key, out var row) || row.ETag != reminder.Entry.ETag)
                {
                    reminder.Stop();
                    _local.Remove(key);
                }
            }

            foreach (var (key, row) in read)
            {
                if (!_local.ContainsKey(key))
                {
                    var reminder = new LocalReminder(this, row);
                    _local[key] = reminder;
                    reminder.Start(now, catchUp.Applies(row.GrainHash));
                }
            }
        }
    }

    /// <summary>Sends one tick to the grain and waits for it (bounded by TickTimeout).</summary>
    private async Task DeliverTickAsync(ReminderEntry entry, DateTimeOffset due)
    {
        var request = ReminderTickRequest.Rent();
        request.ReminderName = entry.ReminderName;
        request.Status = new TickStatus(entry.StartAt, entry.Period, due);
        new Streams.SystemGrainReference(_runtime.CallRuntime, entry.GrainId).SendSystemRequest(request);
        try
        {
            await request.AsTaskForCaller().WaitAsync(_options.TickTimeout, _time);
        }
        catch (Exception error)
        {
            LogTickFailed(_logger, entry.ReminderName, entry.GrainId, error.GetType().Name, error.Message);
        }
    }

    [LoggerMessage(3600, LogLevel.Information, "Reminder service started: ticking {Count} reminders, owning {Ownership}")]
    private static partial void LogStarted(ILogger logger, int count, string ownership);

    [LoggerMessage(3601, LogLevel.Information, "Reminder ownership changed ({ActiveSilos} active silos): now {Ownership}; reloading from the table")]
    private static partial void LogOwnershipChanged(ILogger logger, int activeSilos, string ownership);

    [LoggerMessage(3602, LogLevel.Warning, "Reading reminders from the table failed; the reminders already loaded keep ticking, and the read is tried again in {RetryIn}")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, TimeSpan retryIn);

    [LoggerMessage(3603, LogLevel.Warning, "Reminder {ReminderName} of {Grain} could not be delivered ({ErrorType}: {Reason}); the next tick comes on schedule")]
    private static partial void LogTickFailed(ILogger logger, string reminderName, GrainId grain, string errorType, string reason);

    [LoggerMessage(3604, LogLevel.Warning, "Could not tell {Owner}, which ticks the reminders of {Grain}, that they changed ({Reason}); it reads them at its next refresh, within {RefreshPeriod}")]
    private static partial void LogNotifyFailed(ILogger logger, GrainId grain, string owner, string reason, TimeSpan refreshPeriod);
}
