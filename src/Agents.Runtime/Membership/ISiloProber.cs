namespace Agents.Runtime.Membership;

/// <summary>
/// Asks another silo whether it is alive, over the silo-to-silo connection. The transport
/// implements it with a ping frame; a probe that fails or takes longer than its timeout is missed.
/// </summary>
public interface ISiloProber
{
    /// <summary>True when <paramref name="target"/> answered within <paramref name="timeout"/>.</summary>
    Task<bool> ProbeAsync(SiloAddress target, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>What one silo currently knows of the cluster: the table version and the rows at it.</summary>
public sealed record MembershipView(TableVersion Version, IReadOnlyList<MembershipEntry> Entries, DateTimeOffset ServerTime)
{
    public static readonly MembershipView Empty = new(default, [], default);

    /// <summary>Active silos, in address order.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos { get; } =
        Entries.Where(e => e.Status == SiloStatus.Active).Select(e => e.Silo).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();

    public SiloStatus StatusOf(SiloAddress silo) => Entries.FirstOrDefault(e => e.Silo == silo)?.Status ?? SiloStatus.None;
}
