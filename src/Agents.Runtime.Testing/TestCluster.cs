using Agents.Runtime.Catalog;
using Agents.Runtime.Membership;

namespace Agents.Runtime.Testing;

/// <summary>
/// Running in-process silos for tests. With one silo (the default) it is a localhost silo; with
/// several (<see cref="TestClusterBuilder.WithSilos"/>) they form a cluster over loopback TCP through
/// a shared in-memory membership table. Dispose to shut every silo down gracefully.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterBuilder _builder;
    private readonly List<TestSilo> _silos = [];
    private readonly Lock _lock = new();
    private InMemoryMembershipTable? _table;
    private int _nextSilo;

    internal TestCluster(TestClusterBuilder builder) => _builder = builder;

    /// <summary>Everything every silo logged.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>The silos started so far, running or not, in start order.</summary>
    public IReadOnlyList<TestSilo> Silos
    {
        get
        {
            lock (_lock)
            {
                return [.. _silos];
            }
        }
    }

    /// <summary>The running silos.</summary>
    public IReadOnlyList<TestSilo> RunningSilos => [.. Silos.Where(s => s.IsRunning)];

    /// <summary>The first running silo.</summary>
    public TestSilo Primary => RunningSilos.FirstOrDefault() ?? throw new InvalidOperationException("The test cluster is not running; call DeployAsync first.");

    /// <summary>The membership table the silos share (null for a single localhost silo).</summary>
    public IMembershipTable? MembershipTable => _table;

    /// <summary>The reminder table the silos share (unless configuration names another provider).</summary>
    public Reminders.InMemoryReminderTable ReminderTable { get; } = new();

    /// <summary>The in-process client of the first running silo, for calling grains from the test.</summary>
    public IClusterClient Client => Primary.Client;

    public IGrainFactory GrainFactory => Client;

    public IServiceProvider Services => Primary.Services;

    /// <summary>Live activations on the first running silo.</summary>
    public int ActivationCount => Primary.ActivationCount;

    internal GrainCatalog Catalog => Primary.Catalog;

    /// <summary>Starts the silos, one after another (each joins the cluster the earlier ones formed).</summary>
    public async Task DeployAsync(CancellationToken cancellationToken = default)
    {
        if (RunningSilos.Count > 0)
        {
            throw new InvalidOperationException("The test cluster is already running.");
        }

        if (_builder.Clustered)
        {
            _table ??= new InMemoryMembershipTable();
        }

        for (var i = 0; i < _builder.InitialSilos; i++)
        {
            await StartSiloAsync(cancellationToken);
        }

        await RefreshViewsAsync(cancellationToken);
    }

    /// <summary>
    /// Makes every running silo read the membership table now, so each sees every other Active silo
    /// (instead of at its next periodic refresh): tests start from a settled cluster.
    /// </summary>
    public async Task RefreshViewsAsync(CancellationToken cancellationToken = default)
    {
        foreach (var silo in RunningSilos)
        {
            if (silo.Cluster is { } cluster)
            {
                await cluster.Membership.RefreshAsync(cancellationToken);
            }
        }
    }

    /// <summary>Starts one more silo; in a cluster it joins the others, and every silo's view is refreshed.</summary>
    public async Task<TestSilo> StartAdditionalSiloAsync(CancellationToken cancellationToken = default)
    {
        var silo = await StartSiloAsync(cancellationToken);
        await RefreshViewsAsync(cancellationToken);
        return silo;
    }

    private async Task<TestSilo> StartSiloAsync(CancellationToken cancellationToken)
    {
        if (_table is null && RunningSilos.Count > 0)
        {
            throw new InvalidOperationException("A single localhost silo cannot be joined by another; build the test cluster with WithSilos(n) or AsCluster().");
        }

        var name = $"silo-{Interlocked.Increment(ref _nextSilo) - 1}";
        var silo = new TestSilo(name, _builder.BuildHost(Logs, _table, name, ReminderTable));
        await silo.StartAsync(cancellationToken);
        lock (_lock)
        {
            _silos.Add(silo);
        }

        return silo;
    }

    /// <summary>Stops <paramref name="silo"/> gracefully: its grains deactivate and write their state; it leaves the cluster.</summary>
    public Task StopSiloAsync(TestSilo silo, CancellationToken cancellationToken = default) => silo.StopAsync(cancellationToken);

    /// <summary>Kills <paramref name="silo"/> as a crash would: no deactivation, no goodbye; its peers must find it dead.</summary>
    public Task KillSiloAsync(TestSilo silo) => silo.KillAsync();

    /// <summary>Shuts every silo down gracefully: every grain deactivates first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        foreach (var silo in Silos.Reverse())
        {
            await silo.StopAsync(cancellationToken);
        }
    }

    /// <summary>Stops the silos and starts the same number again with the same configuration (state in durable storage survives).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        lock (_lock)
        {
            _silos.Clear();
        }

        await DeployAsync(cancellationToken);
    }

    /// <summary>Whether <paramref name="grainId"/> has an activation on the first running silo.</summary>
    public bool IsActive(GrainId grainId) => Primary.IsActive(grainId);

    public async ValueTask DisposeAsync() => await StopAsync();
}
