using Agents.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Membership;

/// <summary>
/// Membership protocol timings, bound from <c>Agents:Membership</c>. The defaults declare a dead
/// silo within about 5 s on a LAN (3 missed 1 s probes by each of 2 voters, plus a table refresh)
/// while tolerating a 2-3 s stall (a GC pause, a busy host) without a false death.
/// </summary>
public sealed class MembershipOptions
{
    public const string SectionName = "Agents:Membership";

    /// <summary>How often each silo probes the silos it monitors.</summary>
    public TimeSpan ProbePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a probe may take before it counts as missed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive missed probes before a silo votes its target dead.</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Distinct fresh votes that declare a silo dead (fewer when fewer silos can vote).</summary>
    public int VotesForDeath { get; set; } = 2;

    /// <summary>Votes older than this (by the table's clock) no longer count.</summary>
    public TimeSpan VoteExpiration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How many Active silos each silo monitors (its successors in address order).</summary>
    public int MonitoredSilos { get; set; } = 3;

    /// <summary>How often a silo writes its heartbeat.</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a silo re-reads the table to learn of changes.</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A non-Dead row whose heartbeat is older than this belongs to a crashed silo: it never blocks a join.</summary>
    public TimeSpan StaleRowAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a joining silo waits for the Active silos to answer its probes.</summary>
    public TimeSpan JoinTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rows of Dead silos are deleted once their heartbeat is older than this.</summary>
    public TimeSpan DefunctRowRetention { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Rejects bad membership timings at start-up, naming the key.</summary>
public sealed class MembershipOptionsValidator : IValidateOptions<MembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, MembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(MembershipOptions.SectionName);
        failures.Positive(options.ProbePeriod, nameof(options.ProbePeriod));
        failures.Positive(options.ProbeTimeout, nameof(options.ProbeTimeout));
        failures.Positive(options.VoteExpiration, nameof(options.VoteExpiration));
        failures.Positive(options.IAmAlivePeriod, nameof(options.IAmAlivePeriod));
        failures.Positive(options.TableRefreshPeriod, nameof(options.TableRefreshPeriod));
        failures.Positive(options.StaleRowAge, nameof(options.StaleRowAge));
        failures.Positive(options.JoinTimeout, nameof(options.JoinTimeout));
        failures.Positive(options.DefunctRowRetention, nameof(options.DefunctRowRetention));
        failures.AtLeastOne(options.MissedProbesLimit, nameof(options.MissedProbesLimit));
        failures.AtLeastOne(options.VotesForDeath, nameof(options.VotesForDeath));
        failures.AtLeastOne(options.MonitoredSilos, nameof(options.MonitoredSilos));
        if (options.StaleRowAge <= options.IAmAlivePeriod)
        {
            failures.Add(nameof(options.StaleRowAge), $"must be longer than IAmAlivePeriod ({options.IAmAlivePeriod}), or live silos would look crashed.");
        }

        return failures.Result;
    }
}
