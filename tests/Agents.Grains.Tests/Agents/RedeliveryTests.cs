using Agents.Agents;
using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.Agents;

/// <summary>A handler's state write records that its signal was handled, so a redelivery after a restart changes nothing.</summary>
public sealed class RedeliveryTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          triage: {}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("agents-redelivery-").FullName;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = RoleCluster.Builder(Yaml, agents => agents.AddAgent<TriageAgent>("triage"), ["triage"], sqliteFile: Path.Combine(_directory, "grains.db")).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_signal_redelivered_after_a_restart_is_a_duplicate_and_the_state_and_count_are_as_saved()
    {
        var agent = new AgentId("triage", "redelivered");
        var signal = Signal.Create("tickets.created", new Ticket("T-1", "normal", "hello"), "/tests");
        Assert.Equal(SignalOutcome.Handled, await _cluster.Client.GetGrain<IAgentGrain>(agent.GrainKey).Deliver(signal));

        await _cluster.RestartAsync();

        var grain = _cluster.Client.GetGrain<IAgentGrain>(agent.GrainKey);
        Assert.Equal(SignalOutcome.Duplicate, await grain.Deliver(signal));
        var snapshot = await grain.Describe();
        Assert.Equal(1, snapshot.SignalsHandled);
        Assert.Contains("\"tickets\":[\"T-1\"]", snapshot.State, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_that_kept_the_ids_themselves_still_skips_their_redelivery_and_is_rewritten_with_fingerprints()
    {
        // A record as written before agents kept fingerprints: the handled ids as strings.
        var agent = new AgentId("triage", "legacy");
        var signal = Signal.Create("tickets.created", new Ticket("T-9", "normal", "hello"), "/tests");
        var storage = _cluster.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var grainId = _cluster.Client.GetGrain<IAgentGrain>(agent.GrainKey).GetGrainId();
        var legacy = new GrainState<AgentRecord>(new AgentRecord { SignalsHandled = 1, RecentSignalIds = ["older", signal.Id] });
        await storage.WriteStateAsync("agent", grainId, legacy);

        var grain = _cluster.Client.GetGrain<IAgentGrain>(agent.GrainKey);
        Assert.Equal(SignalOutcome.Duplicate, await grain.Deliver(signal));
        Assert.Equal(SignalOutcome.Handled, await grain.Deliver(Signal.Create("tickets.created", new Ticket("T-10", "normal", "next"), "/tests")));

        // The handler's save wrote the fingerprints (the old ids among them) and no id list.
        var stored = new GrainState<AgentRecord>(new AgentRecord());
        await storage.ReadStateAsync("agent", grainId, stored);
        Assert.Null(stored.State.RecentSignalIds);
        var recent = new RecentSignalIds();
        recent.Load(stored.State.RecentSignals);
        Assert.Equal(3, recent.Count);
        Assert.True(recent.Contains(signal.Id));
        Assert.True(recent.Contains("older"));
    }
}
