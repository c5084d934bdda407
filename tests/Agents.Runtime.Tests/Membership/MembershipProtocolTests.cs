using Agents.Runtime.Membership;
using Agents.Runtime.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Runtime.Tests.Membership;

/// <summary>
/// The membership protocol with real services over one shared in-memory table, a manual clock for
/// the table, and a scripted network that decides which silos answer probes. Each test drives the
/// protocol's rounds directly, so nothing depends on timing.
/// </summary>
public sealed class MembershipProtocolTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryMembershipTable _table;
    private readonly ScriptedNetwork _network = new();
    private readonly List<MembershipService> _services = [];
    private readonly MembershipOptions _options = new() { JoinTimeout = TimeSpan.FromSeconds(5) };

    public MembershipProtocolTests() => _table = new InMemoryMembershipTable(_time);

    private static SiloAddress Address(int port, long generation = 1) => new("127.0.0.1", port, generation);

    private MembershipService Service(SiloAddress silo)
    {
        var service = new MembershipService(new MembershipEntry(silo, SiloStatus.None) { SiloName = $"silo-{silo.Port}" }, _table, _network, _options, _time, NullLogger<MembershipService>.Instance);
        _services.Add(service);
        return service;
    }

    private async Task<MembershipService[]> ClusterOf(int count)
    {
        var services = new MembershipService[count];
        for (var i = 0; i < count; i++)
        {
            services[i] = Service(Address(11_000 + i));
            await services[i].JoinAsync();
        }

        foreach (var service in services)
        {
            await service.RefreshAsync();
        }

        return services;
    }

    private async Task<SiloStatus> StatusOf(SiloAddress silo) => (await _table.ReadRowAsync(silo)).Find(silo)?.Entry.Status ?? SiloStatus.None;

    [Fact]
    public async Task Silos_join_one_after_another_and_all_see_each_other_active()
    {
        var silos = await ClusterOf(3);

        Assert.All(silos, s => Assert.Equal(3, s.View.ActiveSilos.Count));
        Assert.All(silos, s => Assert.Equal(2, s.MonitoredSilos().Count));
        Assert.Equal(SiloStatus.Active, await StatusOf(silos[2].Silo));
    }

    [Fact]
    public async Task A_silo_that_stops_answering_is_declared_dead_only_when_two_monitors_voted()
    {
        var silos = await ClusterOf(4);
        var victim = silos[3].Silo;
        _network.Down(victim);
        var voters = silos.Take(3).Where(s => s.MonitoredSilos().Contains(victim)).ToArray();
        Assert.True(voters.Length >= 2);

        for (var round = 0; round < _options.MissedProbesLimit; round++)
        {
            await voters[0].ProbeOnceAsync();
        }

        var row = (await _table.ReadRowAsync(victim)).Find(victim)!.Value.Entry;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Single(row.Suspicions);

        for (var round = 0; round < _options.MissedProbesLimit; round++)
        {
            await voters[1].ProbeOnceAsync();
        }

        Assert.Equal(SiloStatus.Dead, await StatusOf(victim));
    }

    [Fact]
    public async Task In_a_two_silo_cluster_the_only_possible_voter_decides()
    {
        var silos = await ClusterOf(2);
        _network.Down(silos[1].Silo);

        for (var round = 0; round < _options.MissedProbesLimit; round++)
        {
            await silos[0].ProbeOnceAsync();
        }

        Assert.Equal(SiloStatus.Dead, await StatusOf(silos[1].Silo));
    }

    [Fact]
    public async Task A_silo_that_answers_again_before_the_limit_is_not_suspected()
    {
        var silos = await ClusterOf(2);
        _network.Down(silos[1].Silo);
        for (var round = 1; round < _options.MissedProbesLimit; round++)
        {
            await silos[0].ProbeOnceAsync();
        }

        _network.Up(silos[1].Silo);
        await silos[0].ProbeOnceAsync();
        _network.Down(silos[1].Silo);
        await silos[0].ProbeOnceAsync();

        var row = (await _table.ReadRowAsync(silos[1].Silo)).Find(silos[1].Silo)!.Value.Entry;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Empty(row.Suspicions);
    }

    [Fact]
    public async Task Votes_older_than_the_expiration_do_not_count()
    {
        var silos = await ClusterOf(3);
        var victim = silos[2].Silo;
        Assert.False(await silos[0].VoteDeadAsync(victim));

        _time.Advance(_options.VoteExpiration + TimeSpan.FromSeconds(1));
        Assert.False(await silos[1].VoteDeadAsync(victim));
        Assert.Equal(SiloStatus.Active, await StatusOf(victim));

        Assert.True(await silos[0].VoteDeadAsync(victim));
        Assert.Equal(SiloStatus.Dead, await StatusOf(victim));
    }

    [Fact]
    public async Task A_silo_that_reads_itself_dead_is_told_to_stop_once()
    {
        var silos = await ClusterOf(2);
        var told = 0;
        silos[1].DeclaredDead += () => Interlocked.Increment(ref told);

        await silos[0].VoteDeadAsync(silos[1].Silo);
        await silos[1].RefreshAsync();
        await silos[1].RefreshAsync();

        Assert.Equal(1, told);
    }

    [Fact]
    public async Task A_silo_restarted_on_the_same_endpoint_joins_and_buries_its_crashed_predecessor()
    {
        var silos = await ClusterOf(2);
        var crashed = silos[1].Silo;

        var restarted = Service(crashed with { Generation = crashed.Generation + 1 });
        await restarted.JoinAsync();

        Assert.Equal(SiloStatus.Dead, await StatusOf(crashed));
        Assert.Equal(SiloStatus.Active, await StatusOf(restarted.Silo));
    }

    [Fact]
    public async Task A_stale_row_of_a_crashed_silo_never_blocks_a_join()
    {
        var silos = await ClusterOf(2);
        _network.Down(silos[1].Silo);
        _time.Advance(_options.StaleRowAge + TimeSpan.FromSeconds(1));
        await silos[0].HeartbeatAsync();

        var joiner = Service(Address(12_000));
        await joiner.JoinAsync();

        Assert.Equal(SiloStatus.Dead, await StatusOf(silos[1].Silo));
        Assert.Equal(SiloStatus.Active, await StatusOf(joiner.Silo));
    }

    [Fact]
    public async Task A_fresh_but_unreachable_silo_fails_the_join_naming_it()
    {
        var silos = await ClusterOf(2);
        _network.Down(silos[1].Silo);
        var joiner = Service(Address(13_000));

        var join = joiner.JoinAsync();
        for (var i = 0; i < 20 && !join.IsCompleted; i++)
        {
            await Task.Delay(5);
            _time.Advance(_options.ProbePeriod);
        }

        var error = await Assert.ThrowsAsync<AgentsException>(() => join);
        Assert.Contains(silos[1].Silo.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Membership:JoinTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(SiloStatus.Dead, await StatusOf(joiner.Silo));
        Assert.Equal(SiloStatus.Active, await StatusOf(silos[1].Silo));
    }

    [Fact]
    public async Task Leaving_gracefully_goes_through_shutting_down_to_dead_without_a_stop_signal()
    {
        var silos = await ClusterOf(2);
        var told = false;
        silos[1].DeclaredDead += () => told = true;

        await silos[1].BeginLeavingAsync();
        Assert.Equal(SiloStatus.ShuttingDown, await StatusOf(silos[1].Silo));
        await silos[1].LeaveAsync();
        await silos[1].RefreshAsync();

        Assert.Equal(SiloStatus.Dead, await StatusOf(silos[1].Silo));
        Assert.False(told);
        await silos[0].RefreshAsync();
        Assert.Single(silos[0].View.ActiveSilos);
    }

    [Fact]
    public void Bad_membership_timings_are_rejected_naming_the_key()
    {
        var result = new MembershipOptionsValidator().Validate(null, new MembershipOptions { ProbePeriod = TimeSpan.Zero, StaleRowAge = TimeSpan.FromSeconds(1) });

        Assert.True(result.Failed);
        Assert.Contains("Agents:Membership:ProbePeriod: must be a positive time span", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Agents:Membership:StaleRowAge: must be longer than IAmAlivePeriod", result.FailureMessage, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }
    }

    /// <summary>The network as the tests script it: silos marked down do not answer probes.</summary>
    private sealed class ScriptedNetwork : ISiloProber
    {
        private readonly HashSet<SiloAddress> _down = [];

        public void Down(SiloAddress silo)
        {
            lock (_down)
            {
                _down.Add(silo);
            }
        }

        public void Up(SiloAddress silo)
        {
            lock (_down)
            {
                _down.Remove(silo);
            }
        }

        public Task<bool> ProbeAsync(SiloAddress target, TimeSpan timeout, CancellationToken cancellationToken)
        {
            lock (_down)
            {
                return Task.FromResult(!_down.Contains(target));
            }
        }
    }
}
