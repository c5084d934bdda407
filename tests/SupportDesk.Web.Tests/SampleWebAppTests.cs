using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Agents;
using Agents.Agents;
using Agents.Client;
using Agents.Feed;
using Agents.Signals;
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
    public async Task A_client_subscription_through_the_gateway_sees_signals_published_anywhere_in_order()
    {
        // The web app's own SDK client: its subscription is a tap on the gateway's silo.
        var agents = _web!.Services.GetRequiredService<IAgentsClient>();
        await using var subscription = await agents.SubscribeAsync("sdk.*");
        var cluster = new AgentsClient(_cluster.Silos[1].Client);
        for (var i = 0; i < 30; i++)
        {
            // Published from the other silo, alternating topics.
            await cluster.PublishAsync(i % 2 == 0 ? "sdk.even" : "sdk.odd", new { n = i }, id: $"sdk-{i:00}");
        }

        var received = await TakeAsync(subscription, 30);

        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 2 == 0).Select(i => $"sdk-{i:00}"), received.Where(s => s.Topic == "sdk.even").Select(s => s.Id));
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 2 == 1).Select(i => $"sdk-{i:00}"), received.Where(s => s.Topic == "sdk.odd").Select(s => s.Id));
        Assert.Equal(0, subscription.Dropped);
    }

    [Fact]
    public async Task A_batch_published_through_the_sdk_reaches_a_subscriber_in_order_and_a_bad_one_is_refused_whole()
    {
        var agents = _web!.Services.GetRequiredService<IAgentsClient>();
        await using var subscription = await agents.SubscribeAsync("bulk.*");
        var signals = Enumerable.Range(0, 40)
            .Select(i => Signal.Create(i % 2 == 0 ? "bulk.even" : "bulk.odd", $"{{\"n\":{i}}}", "/tests") with { Id = $"bulk-{i:00}" })
            .ToArray();

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => agents.PublishBatchAsync([signals[0], signals[1] with { Topic = "bulk..bad" }]));
        Assert.Contains("Signal 1 of the batch of 2", refused.Message, StringComparison.Ordinal);
        await agents.PublishBatchAsync(signals);

        var received = await TakeAsync(subscription, 40);

        // Nothing of the refused batch went out: the first 40 signals seen are the accepted batch's, each topic in order.
        Assert.Equal(signals.Where(s => s.Topic == "bulk.even").Select(s => s.Id), received.Where(s => s.Topic == "bulk.even").Select(s => s.Id));
        Assert.Equal(signals.Where(s => s.Topic == "bulk.odd").Select(s => s.Id), received.Where(s => s.Topic == "bulk.odd").Select(s => s.Id));
    }

    [Fact]
    public async Task Leaving_a_subscription_early_closes_its_tap_and_stopping_the_client_ends_one_in_progress()
    {
        var feed = _cluster.Silos[0].Services.GetRequiredService<SignalFeed>();
        var agents = _web!.Services.GetRequiredService<IAgentsClient>();
        var cluster = new AgentsClient(_cluster.Silos[1].Client);

        // Out of `await foreach` with a break, and no dispose: the tap on the gateway's silo is closed all the same.
        var left = await agents.SubscribeAsync("leave.*");
        Assert.True(feed.HasSubscribers, "the subscription's tap follows the gateway silo's feed");
        await cluster.PublishAsync("leave.now", new { n = 1 });
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await foreach (var signal in left.WithCancellation(deadline.Token))
            {
                Assert.Equal("leave.now", signal.Topic);
                break;
            }
        }

        await Eventually.HoldsAsync(() => !feed.HasSubscribers, "the tap was closed when the enumeration ended");

        // An enumeration waiting for signals ends, without an error, when the web app stops and its client with it.
        var waiting = await agents.SubscribeAsync("never.*");
        var reading = Task.Run(async () =>
        {
            var seen = 0;
            await foreach (var _ in waiting)
            {
                seen++;
            }

            return seen;
        });
        await Task.Delay(200); // the first poll is waiting on the silo
        await _web.DisposeAsync();
        _web = null;

        Assert.Equal(0, await reading.WaitAsync(TimeSpan.FromSeconds(30)));
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

    /// <summary>The first <paramref name="count"/> signals the subscription delivers (20 s at most).</summary>
    private static async Task<List<Signal>> TakeAsync(AgentsSubscription subscription, int count)
    {
        var received = new List<Signal>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var signal in subscription.WithCancellation(deadline.Token))
        {
            received.Add(signal);
            if (received.Count == count)
            {
                break;
            }
        }

        return received;
    }
}
