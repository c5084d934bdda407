using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;

namespace Agents.Silo.Tests.Api;

/// <summary>The dashboard, in Debian's Chromium driven by Playwright, draws the cluster, the agent types and the live signal flow.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class DashboardTests(SiloApiFixture fixture) : IClassFixture<SiloApiFixture>
{
    [Fact]
    public async Task The_dashboard_shows_the_silo_the_agent_types_and_signals_as_they_flow()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Silo.ApiUrl.ToString());

        // The cluster panel names this silo as Active; the types table lists the topology's types with their roles.
        await Assertions.Expect(page.Locator("#silos .silo .status")).ToHaveTextAsync("Active", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#types")).ToContainTextAsync("triage", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#types")).ToContainTextAsync("router");

        // A signal published now appears in the live flow, with its topic and subject.
        var customer = $"dash-{Guid.NewGuid():N}"[..13];
        var published = await fixture.Http.PostAsync($"api/signals/tickets.new?subject={customer}",
            new StringContent($$"""{"id":"D-1","customer":"{{customer}}","priority":"high","text":"dashboard check"}""", Encoding.UTF8, "application/json"));
        Assert.True(published.IsSuccessStatusCode);
        await Assertions.Expect(page.Locator("#flow")).ToContainTextAsync(customer, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#flow")).ToContainTextAsync("triaged.urgent", new() { Timeout = 15_000 });

        // And the agents it activated are counted on the silo.
        await Assertions.Expect(page.Locator("#silos")).Not.ToContainTextAsync(" 0 agents", new() { Timeout = 15_000 });

        // The ticket opened the summaries window, whose time limit is a reminder this silo ticks.
        await Assertions.Expect(page.Locator("#silos")).ToContainTextAsync("· 1 reminder", new() { Timeout = 15_000 });
        var screenshot = await page.ScreenshotAsync(new() { FullPage = true });
        Assert.True(screenshot.Length > 10_000, "the dashboard screenshot is suspiciously small");
    }
}
