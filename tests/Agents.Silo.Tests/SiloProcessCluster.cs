using Agents.AdoNet.Postgres.Membership;
using Agents.Runtime.Membership;
using Agents.Runtime.Testing.Postgres;
using Agents.Runtime.Testing.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Silo.Tests;

/// <summary>Silo processes of one cluster over a throwaway PostgreSQL (membership and grain state), on 127.0.0.1.</summary>
internal sealed class SiloProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly PostgresTestServer _postgres;
    private readonly string _siloDll = SiloProcess.LocateSiloBinary();
    private readonly List<SiloProcess> _processes = [];

    private SiloProcessCluster(PostgresTestServer postgres, string connectionString, string clusterId)
    {
        _postgres = postgres;
        ConnectionString = connectionString;
        ClusterId = clusterId;
        Table = new PostgresMembershipTable(new PostgresMembershipOptions { ConnectionString = connectionString, ClusterId = clusterId }, NullLogger<PostgresMembershipTable>.Instance);
    }

    public string ConnectionString { get; }

    public string ClusterId { get; }

    /// <summary>The cluster's membership table, read directly from the database.</summary>
    public IMembershipTable Table { get; }

    public static async Task<SiloProcessCluster> CreateAsync(string clusterId)
    {
        var postgres = await PostgresTestServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync(clusterId.Replace('-', '_'));
        return new SiloProcessCluster(postgres, database, clusterId);
    }

    /// <summary>Starts a silo process (on the given ports, or free ones) and waits until it joined the cluster.</summary>
    public async Task<SiloProcess> StartSiloAsync(string name, int? siloPort = null, int? gatewayPort = null)
    {
        var silo = SiloProcess.Start(name, _siloDll, siloPort ?? SiloProcess.FreePort(), gatewayPort ?? SiloProcess.FreePort(), new Dictionary<string, string?>
        {
            ["Agents:Silo:ClusterId"] = ClusterId,
            ["Agents:Clustering:Provider"] = "Postgres",
            ["Agents:Clustering:ConnectionString"] = ConnectionString,
            ["Agents:Storage:Default:Provider"] = "Postgres",
            ["Agents:Storage:Default:ConnectionString"] = ConnectionString,
            ["Agents:Demo:Enabled"] = "false",
            ["Agents:Silo:ResponseTimeout"] = "00:00:10",
        });
        _processes.Add(silo);
        // Printed once the silo joined its cluster and its HTTP API listens.
        await silo.WaitForOutputAsync("agents: silo ready", StartTimeout);
        return silo;
    }

    /// <summary>The status of the incarnations on <paramref name="siloPort"/>, newest last.</summary>
    public async Task<IReadOnlyList<(SiloAddress Silo, SiloStatus Status)>> StatusOfAsync(int siloPort)
    {
        var snapshot = await Table.ReadAllAsync();
        return [.. snapshot.Entries.Select(e => e.Entry).Where(e => e.Silo.Port == siloPort).OrderBy(e => e.Silo.Generation).Select(e => (e.Silo, e.Status))];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.StopAsync(TimeSpan.FromSeconds(15));
            await process.DisposeAsync();
        }

        await _postgres.DisposeAsync();
    }
}
