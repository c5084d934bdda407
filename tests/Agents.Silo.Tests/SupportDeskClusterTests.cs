using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agents.Tests.Shared;
using Xunit.Abstractions;

namespace Agents.Silo.Tests;

/// <summary>
/// The default topology on three real silo processes that form a cluster through PostgreSQL: the
/// same batch of tickets gives the same per-customer state, alerts and summaries as on one silo
/// (SupportDeskTopologyTests), with only configuration changed.
/// </summary>
[Collection(SiloProcessCollection.Name)]
public sealed class SupportDeskClusterTests(ITestOutputHelper output)
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
            // Each silo sees the other two within its table refresh period.
            await Eventually.HoldsAsync(async () =>
            {
                var views = await Task.WhenAll(http.Select(h => h.GetFromJsonAsync<JsonElement>("api/cluster")));
                return views.All(v => v.GetProperty("silos").EnumerateArray().Count(s => s.GetProperty("status").GetString() == "Active") == 3);
            }, "every silo's /api/cluster lists three Active silos", TimeSpan.FromSeconds(15));

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
                var last = "";
                try
                {
                    await Eventually.HoldsAsync(async () =>
                    {
                        var reply = await http[n % 3].PostAsync($"api/agents/triage/{customer}/ask/summary", new StringContent("{}", Encoding.UTF8, "application/json"));
                        last = await reply.Content.ReadAsStringAsync();
                        return reply.IsSuccessStatusCode && SupportDeskScenario.Matches(customer, JsonDocument.Parse(last).RootElement);
                    }, $"{customer}'s triage state matches the tickets", TimeSpan.FromSeconds(30));
                }
                catch
                {
                    output.WriteLine($"{customer}'s last summary: {last}");
                    output.WriteLine($"dead letters: {await http[0].GetStringAsync("api/dead-letters")}");
                    foreach (var silo in silos)
                    {
                        output.WriteLine($"--- {silo.Name}\n{string.Join('\n', silo.Output.TakeLast(40))}");
                    }

                    throw;
                }
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
