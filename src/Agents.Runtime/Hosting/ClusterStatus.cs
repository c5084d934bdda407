using Agents.Runtime.Membership;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Hosting;

/// <summary>A silo as the cluster's membership sees it.</summary>
/// <param name="Address">The silo incarnation (<c>host:port@generation</c>).</param>
/// <param name="Name">The silo's name (its machine name unless configured).</param>
/// <param name="Status">Where it is in its life.</param>
/// <param name="Role">Its role for role-based placement; empty for any.</param>
/// <param name="GatewayPort">The port clients connect to; 0 when it is no gateway.</param>
/// <param name="StartTime">When it started.</param>
/// <param name="LastHeartbeat">Its last heartbeat at the table's clock; its start time for a localhost silo.</param>
/// <param name="IsLocal">Whether it is the silo answering.</param>
public sealed record SiloInfo(
    SiloAddress Address,
    string Name,
    SiloStatus Status,
    string Role,
    int GatewayPort,
    DateTimeOffset StartTime,
    DateTimeOffset LastHeartbeat,
    bool IsLocal);

/// <summary>
/// This silo and the cluster it belongs to, for application code (status pages, per-silo fan-out).
/// A localhost silo (no membership table) is a cluster of one whose address is
/// <c>localhost:0@{start time}</c>.
/// </summary>
public interface IClusterStatus
{
    /// <summary>This silo.</summary>
    SiloAddress LocalSilo { get; }

    /// <summary>Whether the silo runs with a membership table (false: localhost, a cluster of one).</summary>
    bool IsClustered { get; }

    /// <summary>The Active silos of the current view; cheap enough to read per message.</summary>
    IReadOnlyList<SiloAddress> ActiveSilos { get; }

    /// <summary>Every silo of the current view, dead ones included, with their rows.</summary>
    IReadOnlyList<SiloInfo> Silos { get; }
}

/// <summary>Reads the membership view when the silo runs a cluster, else describes the lone localhost silo.</summary>
internal sealed class ClusterStatus(IServiceProvider services) : IClusterStatus
{
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;
    private static readonly SiloAddress Localhost = new("localhost", 0, Started.ToUnixTimeMilliseconds());
    private readonly Lazy<SiloCluster?> _cluster = new(services.GetService<SiloCluster>);
    private readonly Lazy<IReadOnlyList<SiloAddress>> _localOnly = new(() => [Localhost]);

    public SiloAddress LocalSilo => _cluster.Value?.Self ?? Localhost;

    public bool IsClustered => _cluster.Value is not null;

    public IReadOnlyList<SiloAddress> ActiveSilos => _cluster.Value?.Membership.View.ActiveSilos ?? _localOnly.Value;

    public IReadOnlyList<SiloInfo> Silos
    {
        get
        {
            if (_cluster.Value is not { } cluster)
            {
                return [new SiloInfo(Localhost, Environment.MachineName, SiloStatus.Active, "", 0, Started, Started, IsLocal: true)];
            }

            return [.. cluster.Membership.View.Entries
                .OrderBy(e => e.Silo.ToString(), StringComparer.Ordinal)
                .Select(e => new SiloInfo(e.Silo, e.SiloName, e.Status, e.Role, e.GatewayPort, e.StartTime, e.IAmAliveTime, e.Silo == cluster.Self))];
        }
    }
}
