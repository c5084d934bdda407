using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Membership;

/*
 * One silo's part in the membership protocol.
 *
 *  Join:    our own earlier incarnations on this endpoint are marked Dead (a crashed predecessor
 *           never blocks us); we insert a Joining row; we probe every Active silo whose heartbeat is
 *           fresh until all answer (silos with stale heartbeats crashed: we mark them Dead rather
 *           than wait); then we turn Active. If some fresh silo never answers within JoinTimeout
 *           we mark ourselves Dead and fail start-up, naming the silos we could not reach.
 *  Run:     heartbeat every IAmAlivePeriod (the table stamps its own clock); re-read the table every
 *           TableRefreshPeriod and publish the view; probe our MonitoredSilos successors every
 *           ProbePeriod. After MissedProbesLimit consecutive misses we vote the target dead. A vote
 *           is a compare-and-swap of the target's row that drops expired votes and adds ours; the
 *           voter whose vote completes the quorum (VotesForDeath fresh votes, or every silo that can
 *           vote in a smaller cluster) writes Dead instead. Dead is final.
 *  Self:    a silo that reads itself Dead raises DeclaredDead once: the host must stop at once (its
 *           grains may already be reactivated elsewhere).
 *  Leave:   ShuttingDown while grains deactivate, then Dead.
 *
 * Every write is a CAS on the table version, so concurrent votes and joins are ordered; a loser
 * re-reads and tries again (bounded).
 */

/// <summary>Runs the membership protocol for one silo.</summary>
public sealed partial class MembershipService : IAsyncDisposable
{
    private const int MaxWriteAttempts = 8;

    private readonly IMembershipTable _table;
    private readonly ISiloProber _prober;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MembershipEntry _template;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _publishing = new();
    private MembershipView _view = MembershipView.Empty;
    private int _declaredDead;
    private bool _leaving;

    public MembershipService(
        MembershipEntry self,
        IMembershipTable table,
        ISiloProber prober,
        MembershipOptions options,
        TimeProvider time,
        ILogger<MembershipService> logger)
    {
        ArgumentNullException.ThrowIfNull(self);
        _template = self;
        _table = table;
        _prober = prober;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>This silo.</summary>
    public SiloAddress Silo => _template.Silo;

    /// <summary>The latest view of the cluster this silo has read.</summary>
    public MembershipView View => Volatile.Read(ref _view);

    /// <summary>Raised when the table's version moves on (after a refresh that saw a change).</summary>
    public event Action<MembershipView>? ViewChanged;

    /// <summary>Raised once when this silo reads itself Dead: the host must stop now.</summary>
    public event Action? DeclaredDead;

    /// <summary>Joins the cluster: see the protocol note at the top of this file.</summary>
    public async Task JoinAsync(CancellationToken cancellationToken = default)
    {
        await _table.InitializeAsync(cancellationToken);
        await BuryEarlierIncarnationsAsync(cancellationToken);
        await WriteAsync(snapshot => snapshot.Find(Silo) is null ? _template with { Status = SiloStatus.Joining } : null, insert: true, cancellationToken);
        LogJoining(_logger, Silo);
        await CheckConnectivityAsync(cancellationToken);
        await SetStatusAsync(SiloStatus.Active, cancellationToken);
        await RefreshAsync(cancellationToken);
        LogActive(_logger, Silo, View.ActiveSilos.Count);
    }

    /// <summary>Starts heartbeats, table refreshes and probing in the background.</summary>
    public void StartBackgroundWork()
    {
        _loops.Add(RunPeriodicallyAsync(_options.IAmAlivePeriod, HeartbeatAsync));
        _loops.Add(RunPeriodicallyAsync(_options.TableRefreshPeriod, RefreshAsync));
        _loops.Add(RunPeriodicallyAsync(_options.ProbePeriod, ProbeOnceAsync));
        _loops.Add(RunPeriodicallyAsync(TimeSpan.FromTicks(Math.Min(_options.DefunctRowRetention.Ticks, TimeSpan.FromMinutes(1).Ticks)), DeleteDefunctRowsAsync));
    }

    /// <summary>Deletes rows of silos dead for longer than DefunctRowRetention (by the table's clock), so the table does not grow with every restart.</summary>
    internal async Task DeleteDefunctRowsAsync(CancellationToken cancellationToken = default)
    {
        var serverTime = View.ServerTime;
        if (serverTime == default)
        {
            return;
        }

        var deleted = await _table.DeleteDefunctEntriesAsync(serverTime - _options.DefunctRowRetention, cancellationToken);
        if (deleted > 0)
        {
            LogDefunctDeleted(_logger, deleted, _options.DefunctRowRetention);
        }
    }

    /// <summary>Marks this silo ShuttingDown (graceful stop begins).</summary>
    public Task BeginLeavingAsync(CancellationToken cancellationToken = default)
    {
        _leaving = true;
        return SetStatusAsync(SiloStatus.ShuttingDown, cancellationToken);
    }

    /// <summary>Marks this silo Dead (graceful stop ends) and stops background work.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        _leaving = true;
        await StopBackgroundWorkAsync();
        await SetStatusAsync(SiloStatus.Dead, cancellationToken);
        LogLeft(_logger, Silo);
    }

    /// <summary>Writes this silo's heartbeat.</summary>
    internal Task HeartbeatAsync(CancellationToken cancellationToken = default) => _table.UpdateIAmAliveAsync(Silo, cancellationToken);

    /// <summary>
    /// Re-reads the table, publishes a changed view, and notices our own death. Publication is
    /// serialized and monotonic: a read that finishes after a newer one is dropped, and
    /// <see cref="View"/> moves on only after the <see cref="ViewChanged"/> subscribers have taken the
    /// view, so whoever reads a silo as Dead here can rely on this silo's routing knowing it too.
    /// </summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await _table.ReadAllAsync(cancellationToken);
        var view = new MembershipView(snapshot.Version, [.. snapshot.Entries.Select(e => e.Entry)], snapshot.ServerTime);
        lock (_publishing)
        {
            var previous = _view;
            if (view.Version.Version < previous.Version.Version)
            {
                return;
            }

            if (previous.Version.Version != view.Version.Version)
            {
                ViewChanged?.Invoke(view);
            }

            Volatile.Write(ref _view, view);
        }

        if (view.StatusOf(Silo) == SiloStatus.Dead && !_leaving && Interlocked.Exchange(ref _declaredDead, 1) == 0)
        {
            LogDeclaredDead(_logger, Silo);
            DeclaredDead?.Invoke();
        }
    }

    private async Task BuryEarlierIncarnationsAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _table.ReadAllAsync(cancellationToken);
        foreach (var row in snapshot.Entries)
        {
            var entry = row.Entry;
            if (entry.Silo.IsSameEndpoint(Silo) && entry.Silo.Generation < Silo.Generation && entry.Status != SiloStatus.Dead)
            {
                await DeclareDeadAsync(entry.Silo, "an earlier incarnation of this silo on the same endpoint", cancellationToken);
            }
        }
    }

    private async Task CheckConnectivityAsync(CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.JoinTimeout;
        while (true)
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            var unreachable = new List<SiloAddress>();
            var probes = new List<(SiloAddress Silo, Task<bool> Answered)>();
            foreach (var row in snapshot.Entries)
            {
                var entry = row.Entry;
                if (entry.Silo == Silo || entry.Status != SiloStatus.Active)
                {
                    continue;
                }

                if (snapshot.ServerTime - entry.IAmAliveTime > _options.StaleRowAge)
                {
                    await DeclareDeadAsync(entry.Silo, $"its heartbeat is older than {_options.StaleRowAge}", cancellationToken);
                    continue;
                }

                probes.Add((entry.Silo, _prober.ProbeAsync(entry.Silo, _options.ProbeTimeout, cancellationToken)));
            }

            foreach (var (silo, answered) in probes)
            {
                if (!await answered)
                {
                    unreachable.Add(silo);
                }
            }

            if (unreachable.Count == 0)
            {
                return;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                await SetStatusAsync(SiloStatus.Dead, cancellationToken);
                throw new AgentsException(
                    $"Silo {Silo} could not reach the Active silos {string.Join(", ", unreachable)} within {_options.JoinTimeout} " +
                    "(Agents:Membership:JoinTimeout). Check that this host can connect to their silo ports; if they are gone, their peers will declare them dead.");
            }

            await Task.Delay(_options.ProbePeriod, _time, cancellationToken);
        }
    }

    private async Task SetStatusAsync(SiloStatus status, CancellationToken cancellationToken) =>
        await WriteAsync(snapshot => snapshot.Find(Silo) is { } row && row.Entry.Status != SiloStatus.Dead ? row.Entry with { Status = status } : null, insert: false, cancellationToken);

    /// <summary>
    /// Read-modify-write with the table's compare-and-swap, retried on conflict. <paramref name="change"/>
    /// returns the row to write from a fresh snapshot, or null when there is nothing (more) to do.
    /// </summary>
    private async Task<bool> WriteAsync(Func<MembershipSnapshot, MembershipEntry?> change, bool insert, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var snapshot = await _table.ReadAllAsync(cancellationToken);
            if (change(snapshot) is not { } entry)
            {
                return false;
            }

            var written = insert
                ? await _table.InsertRowAsync(entry, snapshot.Version.Next(), cancellationToken)
                : await _table.UpdateRowAsync(entry, snapshot.Find(entry.Silo)!.Value.ETag, snapshot.Version.Next(), cancellationToken);
            if (written)
            {
                return true;
            }
        }

        throw new AgentsException($"Silo {Silo} could not update the membership table after {MaxWriteAttempts} attempts: too many concurrent changes.");
    }

    private async Task RunPeriodicallyAsync(TimeSpan period, Func<CancellationToken, Task> step)
    {
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await step(_stopping.Token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // A failed round (the table unreachable, say) is retried next period; the protocol tolerates gaps.
                    LogStepFailed(_logger, Silo, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopBackgroundWorkAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _loops.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopBackgroundWorkAsync();
        _stopping.Dispose();
    }
}
