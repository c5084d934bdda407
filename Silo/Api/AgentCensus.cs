using Agents.Agents;
using Agents.Runtime.Hosting;

namespace Agents.Silo.Api;

/// <summary>Active agents per type across the cluster, and what each silo hosts.</summary>
internal sealed record ClusterCounts(Dictionary<string, long> Active, Dictionary<SiloAddress, SiloCensus> BySilo, List<string> Unreachable);

/// <summary>Counts the active agents (and ticking reminders) of the cluster by asking every Active silo's <see cref="ISiloAgentsGrain"/>.</summary>
internal sealed class AgentCensus(IClusterClient client, IClusterStatus cluster)
{
    /// <summary>How long one silo may take to answer before it is reported unreachable.</summary>
    private static readonly TimeSpan PerSilo = TimeSpan.FromSeconds(3);

    public async Task<ClusterCounts> CountAsync(CancellationToken cancellationToken)
    {
        var silos = cluster.ActiveSilos;
        var answers = await Task.WhenAll(silos.Select(async silo =>
        {
            try
            {
                var census = await client.GetGrain<ISiloAgentsGrain>(silo.ToString()).Census().WaitAsync(PerSilo, cancellationToken);
                return (Silo: silo, Census: census, Error: (string?)null);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                return (Silo: silo, Census: new SiloCensus(), Error: (string?)$"{silo}: {error.Message}");
            }
        }));

        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (_, census, _) in answers)
        {
            foreach (var (type, count) in census.Agents)
            {
                total[type] = total.GetValueOrDefault(type) + count;
            }
        }

        return new ClusterCounts(
            total,
            answers.ToDictionary(a => a.Silo, a => a.Census),
            [.. answers.Where(a => a.Error is not null).Select(a => a.Error!)]);
    }
}
