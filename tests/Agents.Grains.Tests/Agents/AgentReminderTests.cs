using System.Text.Json;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Reminders;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Configuration;

namespace Agents.Grains.Tests.Agents;

/// <summary>Agents set durable reminders through their context and handle the ticks with OnReminder.</summary>
public sealed class AgentReminderTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(150);

    private readonly TestCluster _cluster = new TestClusterBuilder()
        .WithConfiguration("Agents:Reminders:MinimumPeriod", "00:00:00.100")
        .WithConfiguration("Agents:Reminders:RefreshPeriod", "00:00:00.200")
        .ConfigureSilo(silo => silo.AddMemoryGrainStorageAsDefault().AddMemoryStreams("Default"))
        .ConfigureServices(services => services.AddAgentsService(new ConfigurationBuilder().Build(), agents => agents
            .AddAgent<PingerAgent>("pinger")
            .UseTopology(TopologyLoader.Load("agents: { pinger: {} }\nroutes: []\n", "agents.yaml", new TopologyValidationContext(["pinger"])))))
        .AddGrainAssembly(typeof(AgentGrain).Assembly)
        .AddGrainAssembly(typeof(PingerAgent).Assembly)
        .Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    private IAgentGrain Pinger(string key) => _cluster.Client.GetGrain<IAgentGrain>(new AgentId("pinger", key).GrainKey);

    private static string Json(object value) => JsonSerializer.Serialize(value, SignalJson.Options);

    private async Task<PingState> StateOf(string key) => JsonSerializer.Deserialize<PingState>(await Pinger(key).Ask("state", "null"), SignalJson.Options)!;

    [Fact]
    public async Task An_agent_reminder_ticks_its_handler_which_keeps_state_until_cancelled()
    {
        await Pinger("a").Ask("start", Json(new PingPlan("ping", TimeSpan.Zero, Period)));

        await Eventually.HoldsAsync(async () => (await StateOf("a")).Ticks >= 3, "three ticks are counted in the agent's state");
        var described = Assert.Single((await Pinger("a").Describe()).Reminders);
        Assert.Equal(("ping", Period), (described.Name, described.Period));
        Assert.True(described.NextDueAt > DateTimeOffset.UtcNow - Period, $"next due {described.NextDueAt:O}");
        Assert.Equal("true", await Pinger("a").Ask("stop", "\"ping\""));
        Assert.Empty((await Pinger("a").Describe()).Reminders);
        var stopped = (await StateOf("a")).Ticks;
        await Task.Delay(Period * 4);

        var state = await StateOf("a");
        Assert.InRange(state.Ticks, stopped, stopped + 1);
        Assert.Equal(state.DueTimes.Order(), state.DueTimes);
        Assert.Equal("false", await Pinger("a").Ask("stop", "\"ping\""));
    }

    [Fact]
    public async Task A_failing_tick_discards_its_changes_is_logged_and_the_next_tick_comes()
    {
        await Pinger("b").Ask("start", Json(new PingPlan("fail", TimeSpan.Zero, Period)));

        await Eventually.HoldsAsync(() => _cluster.Logs.Entries.Count(e => e.EventId.Id == 4121 && e.Message.Contains("pinger/b", StringComparison.Ordinal)) >= 2, "two failed ticks are logged");

        Assert.Equal(0, (await StateOf("b")).Failures);
        await Pinger("b").Ask("stop", "\"fail\"");
    }

    [Fact]
    public async Task Setting_a_reminder_the_agent_type_does_not_handle_is_refused_naming_the_ones_it_does()
    {
        var error = await Assert.ThrowsAsync<ReminderException>(() => Pinger("c").Ask("start", Json(new PingPlan("nope", TimeSpan.Zero, Period))));

        Assert.Contains("handles no reminder of that name (it handles: fail, ping)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_reminder_the_agent_type_no_longer_handles_is_unregistered_at_its_first_tick()
    {
        // As if the code that set it was changed since: the row is there, the handler is not.
        var grain = GrainId.Create(new GrainType("agent"), new AgentId("pinger", "d").GrainKey);
        await _cluster.ReminderTable.UpsertRowAsync(new ReminderEntry(grain, "renamed", DateTimeOffset.UtcNow, Period));

        await Eventually.HoldsAsync(async () => await _cluster.ReminderTable.ReadRowAsync(grain, "renamed") is null, "the orphan reminder is removed");
        Assert.Contains(_cluster.Logs.Entries, e => e.EventId.Id == 4120 && e.Message.Contains("'renamed'", StringComparison.Ordinal));
    }
}
