using System.Text.Json;
using Agents.Agents;
using Agents.Client;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.SupportDesk;
using Agents.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.SupportDesk;

/// <summary>The default topology (Grains/SupportDesk/agents.yaml) end to end on one silo: a batch of tickets, and what it leaves.</summary>
public sealed class SupportDeskTopologyTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = SupportDeskCluster.Builder().Build();

    private AgentsClient Agents => new(_cluster.Client);

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_batch_of_tickets_leaves_per_customer_state_alerts_and_window_summaries()
    {
        await using var alerts = await Agents.SubscribeAsync("alerts.*");
        foreach (var ticket in SupportDeskScenario.Tickets)
        {
            await Agents.PublishAsync("tickets.new", SupportDeskScenario.Data(ticket), id: ticket.Id);
        }

        foreach (var customer in SupportDeskScenario.Customers)
        {
            await Eventually.HoldsAsync(
                async () => SupportDeskScenario.Matches(customer, await Agents.AskAsync("triage", customer, request: "summary")),
                $"{customer}'s triage state matches the tickets");
        }

        List<JsonElement> summaries = [];
        await Eventually.HoldsAsync(async () =>
        {
            summaries = [.. (await Agents.AskAsync("recent", "summaries", request: "recent")).EnumerateArray()];
            return summaries.Count == SupportDeskScenario.Tickets.Count / 5;
        }, "the aggregator summarised every window of five tickets");
        Assert.All(summaries, s => Assert.Equal(5, s.GetProperty("data").GetProperty("count").GetInt32()));
        Assert.All(summaries, s => Assert.Equal("summaries.tickets", s.GetProperty("type").GetString()));

        // Followers see each urgent ticket's alert, caused by the ticket's signal.
        var seen = new List<Signal>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var alert in alerts.WithCancellation(deadline.Token))
        {
            seen.Add(alert);
            if (seen.Count == SupportDeskScenario.UrgentTotal)
            {
                break;
            }
        }

        var urgent = SupportDeskScenario.Tickets.Where(t => SupportDeskScenario.CategoryOf(t) == "urgent").Select(t => t.Id).Order(StringComparer.Ordinal);
        Assert.Equal(urgent, seen.Select(s => s.DataElement().GetProperty("ticket").GetString()).Order(StringComparer.Ordinal));
        Assert.All(seen, s => Assert.NotNull(s.CorrelationId));
    }

    [Fact]
    public async Task The_capability_registry_describes_every_agent_type_of_the_topology()
    {
        var types = await Agents.GetAgentTypesAsync();

        Assert.Equal(["helpdesk", "intake", "recent", "summaries", "triage"], types.Select(t => t.Type));
        Assert.Equal("llm", types.Single(t => t.Type == "helpdesk").Role);
        Assert.Null(types.Single(t => t.Type == "triage").Role);
        Assert.Contains("close", types.Single(t => t.Type == "triage").Requests.Keys);
    }
}
