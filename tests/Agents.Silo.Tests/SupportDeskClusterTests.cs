using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agents.Tests.Shared;

namespace Agents.Silo.Tests;

/// <summary>
/// The default topology on three real silo processes that form a cluster through PostgreSQL: the
/// same batch of tickets gives the same per-customer state, alerts and summaries as on one silo
/// (SupportDeskTopologyTests), with only configuration changed.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SupportDeskClusterTests
{
    [Fact]
    public async Task The_default_topology_gives_the_same_results_on_three_silo_processes()
    {
        await using var cluster = await SiloProcessCluster.CreateAsync("desk-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new[]
        {
            await cluster.StartSiloAsync("desk-0"),
            await cluster.StartSiloAsync("desk-1"),
            await cluster.StartSiloAsync("desk-2"),
        };
        var http = silos.Select(s => new HttpClient { BaseAddress = s.ApiUrl, Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            var view = await http[0].GetFromJsonAsync<JsonElement>("api/cluster");
            Assert.Equal(3, view.GetProperty("silos").EnumerateArray().Count(s => s.GetProperty("status").GetString() == "Active"));

            // Every ticket enters through a different silo's API.
            var tickets = SupportDeskScenario.Tickets;
            for (var i = 0; i < tickets.Count; i++)
            {
                var body = new StringContent(JsonSerializer.Serialize(SupportDeskScenario.Data(tickets[i])), Encoding.UTF8, "application/json");
                var response = await http[i % 3].PostAsync($"api/signals/tickets.new?id={tickets[i].Id}", body);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            foreach (var (customer, n) in SupportDeskScenario.Customers.Select((c, n) => (c, n)))
            {
                await Eventually.HoldsAsync(async () =>
                {
                    var reply = await http[n % 3].PostAsync($"api/agents/triage/{customer}/ask/summary", new StringContent("{}", Encoding.UTF8, "application/json"));
                    return reply.IsSuccessStatusCode && SupportDeskScenario.Matches(customer, await reply.Content.ReadFromJsonAsync<JsonElement>());
                }, $"{customer}'s triage state matches the tickets", TimeSpan.FromSeconds(30));
            }

            await Eventually.HoldsAsync(async () =>
            {
                var alerts = await RecentAsync(http[1], "alerts");
                var summaries = await RecentAsync(http[2], "summaries");
                return alerts.Count == SupportDeskScenario.UrgentTotal
                    && summaries.Count == tickets.Count / 5
                    && summaries.All(s => s.GetProperty("data").GetProperty("count").GetInt32() == 5);
            }, "every urgent ticket raised one alert and the aggregator summarised four windows of five", TimeSpan.FromSeconds(30));

            // The agents are spread over the cluster, and every silo counts the same cluster-wide total.
            var counts = await Task.WhenAll(http.Select(h => h.GetFromJsonAsync<JsonElement>("api/agents")));
            Assert.All(counts, c => Assert.Equal(counts[0].GetProperty("active").GetInt64(), c.GetProperty("active").GetInt64()));
            var perSilo = (await http[0].GetFromJsonAsync<JsonElement>("api/cluster")).GetProperty("silos").EnumerateArray()
                .Where(s => s.GetProperty("status").GetString() == "Active").Select(s => s.GetProperty("agents").GetInt64()).ToArray();
            Assert.True(perSilo.Count(n => n > 0) >= 2, $"agents should live on several silos, per silo: {string.Join(", ", perSilo)}");
        }
        finally
        {
            foreach (var client in http)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<List<JsonElement>> RecentAsync(HttpClient http, string key)
    {
        var reply = await http.PostAsync($"api/agents/recent/{key}/ask/recent", new StringContent("{}", Encoding.UTF8, "application/json"));
        return reply.IsSuccessStatusCode ? [.. (await reply.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()] : [];
    }
}
