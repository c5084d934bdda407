using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Membership;

/// <summary>Probing, suspicion votes and death declarations. See the protocol note in MembershipService.cs.</summary>
public sealed partial class MembershipService
{
    private readonly Dictionary<SiloAddress, int> _missedProbes = [];

    /// <summary>The silos this one monitors: its successors among the Active silos, in address order.</summary>
    internal IReadOnlyList<SiloAddress> MonitoredSilos()
    {
        var active = View.ActiveSilos;
        var others = active.Where(s => s != Silo).ToList();
        if (others.Count == 0)
        {
            return [];
        }

        var self = Silo.ToString();
        var start = others.FindIndex(s => string.CompareOrdinal(s.ToString(), self) > 0);
        if (start < 0)
        {
            start = 0;
        }

        return Enumerable.Range(0, Math.Min(_options.MonitoredSilos, others.Count)).Select(i => others[(start + i) % others.Count]).ToArray();
    }

    /// <summary>One round of probes; votes against silos that missed too many in a row.</summary>
    internal async Task ProbeOnceAsync(CancellationToken cancellationToken = default)
    {
        var targets = MonitoredSilos();
        var results = await Task.WhenAll(targets.Select(async target =>
        {
            try
            {
                return (target, await _prober.ProbeAsync(target, _options.ProbeTimeout, cancellationToken));
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return (target, false);
            }
        }));

        var suspects = new List<SiloAddress>();
        lock (_missedProbes)
        {
            foreach (var silo in _missedProbes.Keys.Except(targets).ToList())
            {
                _missedProbes.Remove(silo);
            }

            foreach (var (target, answered) in results)
            {
                var missed = answered ? 0 : _missedProbes.GetValueOrDefault(target) + 1;
                _missedProbes[target] = missed;
                if (missed >= _options.MissedProbesLimit)
                {
                    suspects.Add(target);
                }
            }
        }

        foreach (var suspect in suspects)
        {
            LogSuspect(_logger, Silo, suspect, _options.MissedProbesLimit);
            await VoteDeadAsync(suspect, cancellationToken);
        }
    }

    /// <summary>
    /// Adds this silo's vote that <paramref name="target"/> is dead, or declares it Dead when this
    /// vote completes the quorum. Returns true when the target is (now) Dead.
    /// </summary>
    internal async Task<bool> VoteDeadAsync(SiloAddress target, CancellationToken cancellationToken = default)
    {
        var declared = false;
        await WriteAsync(
            snapshot =>
            {
                if (snapshot.Find(target) is not { } row)
                {
                    declared = false;
                    return null;
                }

                if (row.Entry.Status == SiloStatus.Dead)
                {
                    declared = true;
                    return null;
                }

                var now = snapshot.ServerTime;
                var fresh = row.Entry.Suspicions
                    .Where(v => v.Suspecter != Silo && now - v.Time < _options.VoteExpiration)
                    .Append(new SuspicionVote(Silo, now))
                    .ToArray();

                // Every Active silo but the target may vote; a small cluster needs all of them.
                var voters = snapshot.Entries.Count(e => e.Entry.Status == SiloStatus.Active && e.Entry.Silo != target);
                var needed = Math.Max(1, Math.Min(_options.VotesForDeath, voters));
                declared = fresh.Length >= needed;
                return row.Entry with { Status = declared ? SiloStatus.Dead : row.Entry.Status, Suspicions = [.. fresh] };
            },
            insert: false,
            cancellationToken);

        if (declared)
        {
            LogDeclared(_logger, target, Silo);
            lock (_missedProbes)
            {
                _missedProbes.Remove(target);
            }
        }

        return declared;
    }

    /// <summary>Declares <paramref name="target"/> Dead outright (a crashed predecessor, a stale row).</summary>
    private async Task DeclareDeadAsync(SiloAddress target, string reason, CancellationToken cancellationToken)
    {
        if (await WriteAsync(
                snapshot => snapshot.Find(target) is { } row && row.Entry.Status != SiloStatus.Dead ? row.Entry with { Status = SiloStatus.Dead } : null,
                insert: false,
                cancellationToken))
        {
            LogDeclaredStale(_logger, target, reason);
        }
    }

    [LoggerMessage(3000, LogLevel.Information, "Silo {Silo} is joining the cluster")]
    private static partial void LogJoining(ILogger logger, SiloAddress silo);

    [LoggerMessage(3001, LogLevel.Information, "Silo {Silo} is Active; {Count} Active silos in the cluster")]
    private static partial void LogActive(ILogger logger, SiloAddress silo, int count);

    [LoggerMessage(3002, LogLevel.Warning, "Silo {Silo} suspects {Target}: {Missed} probes in a row went unanswered")]
    private static partial void LogSuspect(ILogger logger, SiloAddress silo, SiloAddress target, int missed);

    [LoggerMessage(3003, LogLevel.Warning, "Silo {Target} declared dead (the vote of {Voter} completed the quorum)")]
    private static partial void LogDeclared(ILogger logger, SiloAddress target, SiloAddress voter);

    [LoggerMessage(3004, LogLevel.Warning, "Silo {Target} declared dead: {Reason}")]
    private static partial void LogDeclaredStale(ILogger logger, SiloAddress target, string reason);

    [LoggerMessage(3005, LogLevel.Critical, "Silo {Silo} read itself as Dead in the membership table: it must stop now")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(3006, LogLevel.Information, "Silo {Silo} left the cluster")]
    private static partial void LogLeft(ILogger logger, SiloAddress silo);

    [LoggerMessage(3007, LogLevel.Warning, "A membership round of silo {Silo} failed; retrying next period")]
    private static partial void LogStepFailed(ILogger logger, SiloAddress silo, Exception exception);

    [LoggerMessage(3008, LogLevel.Information, "Deleted {Count} membership rows of silos dead for longer than {Retention}")]
    private static partial void LogDefunctDeleted(ILogger logger, int count, TimeSpan retention);
}
