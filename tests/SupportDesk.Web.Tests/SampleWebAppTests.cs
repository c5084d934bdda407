using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agents;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.SupportDesk;
using Agents.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SupportDesk.Web.Tests;

/// <summary>The sample web app, hosted in-process, calls the support-desk agents of a two-silo cluster through the client SDK.</summary>
public sealed class SampleWebAppTests : IAsyncLifetime
{
    private readonly TestCluster _cluster = SupportDeskCluster.Builder(silos: 2).Build();

    private WebApplicationFactory<Program>? _web;

    public async Task InitializeAsync()
    {
        await _cluster.DeployAsync();
        _web = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web.UseSetting("Agents:Client:Gateways:0", $"127.0.0.1:{_cluster.Silos[0].GatewayPort}"));
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        await _cluster.StopAsync();
    }

    [Fact]
    public async Task Tickets_filed_through_the_web_app_reach_the_customers_triage_agents_and_their_summaries_come_back()
    {
        using var http = _web!.CreateClient();
        foreach (var ticket in SupportDeskScenario.Tickets)
        {
            var response = await http.PostAsJsonAsync("/tickets", new { customer = ticket.Customer, priority = ticket.Priority, text = ticket.Text, id = ticket.Id });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        foreach (var customer in SupportDeskScenario.Customers)
        {
            await Eventually.HoldsAsync(async () =>
            {
                var summary = await http.GetFromJsonAsync<JsonElement>($"/customers/{customer}");
                return SupportDeskScenario.Matches(customer, summary);
            }, $"customer {customer}'s triage summary matches the tickets filed", TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task The_web_app_lists_the_clusters_agent_types_through_the_sdk()
    {
        using var http = _web!.CreateClient();

        var types = await http.GetFromJsonAsync<JsonElement>("/agent-types");

        var names = types.EnumerateArray().Select(t => t.GetProperty("type").GetString()!).ToArray();
        Assert.Equal(["helpdesk", "intake", "recent", "summaries", "triage"], names);
        var triage = types.EnumerateArray().Single(t => t.GetProperty("type").GetString() == "triage");
        Assert.Equal(["close", "summary"], triage.GetProperty("requests").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
    }
}
