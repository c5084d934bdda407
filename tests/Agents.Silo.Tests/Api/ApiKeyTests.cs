using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Agents.Silo.Api;
using Agents.Silo.Tests.Cli;
using Microsoft.Playwright;

namespace Agents.Silo.Tests.Api;

/// <summary>A silo started with Agents:Api:ApiKey.</summary>
public sealed class ApiKeySiloFixture : SiloApiFixture
{
    public const string Key = "k3y-for-tests-0123456789abcdef";

    protected override void Configure(Dictionary<string, string?> configuration) => configuration["Agents:Api:ApiKey"] = Key;
}

/// <summary>With Agents:Api:ApiKey set, /api needs the key (header or, for SSE, query); health and the dashboard page stay open; the CLI and the dashboard send it.</summary>
[Collection(SiloProcessCollection.Name)]
public sealed class ApiKeyTests(ApiKeySiloFixture fixture) : IClassFixture<ApiKeySiloFixture>
{
    private HttpClient Http => fixture.Http;

    public static TheoryData<string, string, string?> Requests => new()
    {
        { "GET", "api/agents", null },
        { "GET", "API/Agents", null }, // routing ignores case, so the gate does too
        { "GET", "api/cluster", null },
        { "GET", "api/dead-letters", null },
        { "GET", "api/agents/triage/alice", null },
        { "POST", "api/agents/triage/alice/ask/summary", "{}" },
        { "POST", "api/signals/tickets.new?subject=alice", "{\"customer\":\"alice\"}" },
        { "GET", "api/signals/%23/stream", null },
        { "GET", "api/no-such-thing", null }, // refused before routing: a caller without the key learns nothing of the API
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_request_without_the_right_key_is_refused_with_a_problem_that_says_what_to_send(string method, string path, string? body)
    {
        foreach (var (key, detail) in new[] { ((string?)null, "send the header 'Authorization: Bearer <key>'"), ("not-the-key-0123456789", "does not match") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await Http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(ApiKeySiloFixture.Key, problem.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_the_key_the_api_answers_a_refused_publish_published_nothing_and_health_and_the_page_stay_open()
    {
        // A follower with the key in the query (as a browser's EventSource sends it).
        var topic = $"key.t{Guid.NewGuid():N}"[..14];
        using var follow = new HttpRequestMessage(HttpMethod.Get, $"api/signals/{topic}/stream?{ApiKeyGate.QueryParameter}={ApiKeySiloFixture.Key}");
        using var stream = await Http.SendAsync(follow, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.StartsWith($": following {topic}", await reader.ReadLineAsync());

        // Refused, then accepted: the follower sees only the second.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.PostAsync($"api/signals/{topic}?id=refused", Json("{\"n\":1}"))).StatusCode);
        using var publish = new HttpRequestMessage(HttpMethod.Post, $"api/signals/{topic}?id=accepted") { Content = Json("{\"n\":2}") };
        publish.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKeySiloFixture.Key);
        Assert.Equal(HttpStatusCode.Accepted, (await Http.SendAsync(publish)).StatusCode);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(deadline.Token);
        }
        while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));
        using (var first = JsonDocument.Parse(line!["data: ".Length..]))
        {
            Assert.Equal("accepted", first.RootElement.GetProperty("id").GetString());
        }

        using var agents = new HttpRequestMessage(HttpMethod.Get, "api/agents");
        agents.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKeySiloFixture.Key);
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(agents)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/ready")).StatusCode);
        var page = await Http.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_cli_sends_the_key_from_its_option_or_the_environment_and_says_what_to_do_without_it()
    {
        var api = fixture.Silo.ApiUrl.ToString();

        var withOption = await CliProcess.RunAsync(null, "status", "--api", api, "--api-key", ApiKeySiloFixture.Key);
        Assert.True(withOption.ExitCode == 0, withOption.Stderr);
        Assert.Contains("Active", withOption.Stdout, StringComparison.Ordinal);

        var withEnvironment = await CliProcess.RunAsync(new Dictionary<string, string?> { ["AGENTS_API_KEY"] = ApiKeySiloFixture.Key }, "status", "--api", api);
        Assert.True(withEnvironment.ExitCode == 0, withEnvironment.Stderr);

        var without = await CliProcess.RunAsync(null, "status", "--api", api);
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("agents: 401 Unauthorized: This silo's API needs its API key", without.Stderr, StringComparison.Ordinal);
        Assert.Contains("Pass it with --api-key or the AGENTS_API_KEY environment variable.", without.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_asks_for_the_key_then_shows_the_silo_and_the_live_flow()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Silo.ApiUrl.ToString());

        await Assertions.Expect(page.Locator("#self")).ToHaveTextAsync("this silo needs an API key", new() { Timeout = 15_000 });
        await page.Locator("#key").FillAsync(ApiKeySiloFixture.Key);
        await page.Locator("#keyform button").ClickAsync();

        await Assertions.Expect(page.Locator("#silos .silo .status")).ToHaveTextAsync("Active", new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("#keyform")).ToBeHiddenAsync();

        // The live flow (an EventSource, which carries the key in its URL) shows a signal published now.
        var topic = $"dash.k{Guid.NewGuid():N}"[..15];
        await Eventually.HoldsAsync(async () =>
        {
            using var publish = new HttpRequestMessage(HttpMethod.Post, $"api/signals/{topic}") { Content = Json("{\"n\":1}") };
            publish.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKeySiloFixture.Key);
            Assert.Equal(HttpStatusCode.Accepted, (await Http.SendAsync(publish)).StatusCode);
            return await page.Locator("#flow").TextContentAsync() is { } flow && flow.Contains(topic, StringComparison.Ordinal);
        }, "the dashboard's live flow shows a signal published after the key was given", TimeSpan.FromSeconds(20));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
