using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Silo.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Bench.Scenarios;

/*
 * http-ask: POST /api/agents/{type}/{key}/ask/{request} served by the Silo's own HTTP API
 * (ApiHosting.AddAgentsApi / MapAgentsApi, the code the Silo binary runs) in front of an in-process
 * silo whose code-defined agent answers with a small JSON reply; Workers agents (one per worker).
 *
 * Baseline, same process: a bare ASP.NET Core minimal-API endpoint on the same route returning the
 * same JSON bytes. Both hosts use the same builder (empty WebApplication builder, Kestrel, routing)
 * and listen on a free loopback port; both are driven by the same load generator: Workers loops
 * sharing one HttpClient (SocketsHttpHandler), each POSTing the same body and reading the reply.
 * Figures: requests/s and p50/p99 per request. Target: ratio ≥ 0.5.
 */
internal static class HttpAskScenario
{
    private const int Workers = 32;
    private const string AgentType = "echo";
    private const string Request = "echo";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"text":"hello","n":41}""");

    /// <summary>What <see cref="EchoAgent"/> answers to <see cref="Body"/>; the baseline sends these bytes.</summary>
    private const string Reply = """{"text":"hello","n":42}""";

    public static async Task<BenchResult> RunAsync(BenchSettings settings)
    {
        // Both hosts run side by side and the baseline is measured before and after ours, keeping its
        // better run: the HTTP stack both share warms up (tiered JIT) during the first run, which
        // would otherwise flatter whichever side goes second.
        await using var bare = await StartBareAsync();
        await using var silo = await StartSiloApiAsync();
        Console.Error.WriteLine($"http-ask: baseline (bare minimal-API endpoint, {Workers} HTTP workers over loopback), first run");
        var first = await DriveAsync("bare endpoint", bare.Url, settings);
        Console.Error.WriteLine($"http-ask: ours (the Silo's POST /api/agents/{{type}}/{{key}}/ask/{{request}} → agent, {Workers} HTTP workers over loopback)");
        var ours = await DriveAsync("silo ask API", silo.Url, settings);
        Console.Error.WriteLine("http-ask: baseline, second run");
        var second = await DriveAsync("bare endpoint", bare.Url, settings);
        var baseline = second.PerSecond > first.PerSecond ? second : first;

        return new BenchResult("http-ask", ours.PerSecond, baseline.PerSecond, ours.PerSecond / baseline.PerSecond, "requests/s")
        {
            Target = 0.5,
            P50Us = ours.P50Us,
            P99Us = ours.P99Us,
            BaselineP50Us = baseline.P50Us,
            BaselineP99Us = baseline.P99Us,
            Details = new()
            {
                ["workers"] = Workers,
                ["bytes_per_request"] = ours.BytesPerOp,
                ["baseline_bytes_per_request"] = baseline.BytesPerOp,
            },
        };
    }

    private static async Task<ThroughputFigures> DriveAsync(string label, Uri baseUrl, BenchSettings settings)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Workers,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var json = new MediaTypeHeaderValue("application/json");

        // One checked request per agent first: every reply must be the same JSON on both hosts.
        var urls = Enumerable.Range(0, Workers).Select(w => new Uri($"api/agents/{AgentType}/w{w}/ask/{Request}", UriKind.Relative)).ToArray();
        foreach (var url in urls)
        {
            using var response = await http.PostAsync(url, new ByteArrayContent(Body) { Headers = { ContentType = json } });
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || text != Reply)
            {
                throw new InvalidOperationException($"http-ask: {label} answered {(int)response.StatusCode} '{text}' to POST {url}; expected 200 '{Reply}'.");
            }
        }

        return await Measure.TimedThroughputAsync(label, Workers, async (worker, loop) =>
        {
            var url = urls[worker];
            var buffer = new byte[1024];
            while (loop.Running)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Body) { Headers = { ContentType = json } } };
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"http-ask: {label} answered {(int)response.StatusCode} to POST {url}.");
                }

                await using var stream = await response.Content.ReadAsStreamAsync();
                while (await stream.ReadAsync(buffer) > 0)
                {
                }

                loop.Completed(started);
            }
        }, settings.Warmup, settings.Duration);
    }

    /// <summary>The host both sides share: no configuration files or environment, Kestrel and routing only, warnings logged.</summary>
    private static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        return builder;
    }

    private static async Task<WebHostHandle> StartBareAsync()
    {
        var builder = CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var reply = Encoding.UTF8.GetBytes(Reply);
        app.MapPost("/api/agents/{type}/{key}/ask/{request}", (string type, string key, string request) => Results.Bytes(reply, "application/json"));
        return await WebHostHandle.StartAsync(app);
    }

    private static async Task<WebHostHandle> StartSiloApiAsync()
    {
        var builder = CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Agents:Api:Urls"] = "http://127.0.0.1:0" });
        builder.UseAgentsSilo(silo => silo
            .UseLocalhostClustering()
            .AddMemoryGrainStorageAsDefault()
            .AddMemoryStreams("Default")
            .AddGrainAssembly(typeof(AgentGrain).Assembly));
        builder.Services.AddAgentsService(builder.Configuration, agents => agents.AddAgent<EchoAgent>(AgentType));
        builder.AddAgentsApi();
        var app = builder.Build();
        app.MapAgentsApi();
        return await WebHostHandle.StartAsync(app);
    }

    /// <summary>A started web application and the loopback URL it listens on.</summary>
    private sealed class WebHostHandle(WebApplication app, Uri url) : IAsyncDisposable
    {
        public Uri Url { get; } = url;

        public static async Task<WebHostHandle> StartAsync(WebApplication app)
        {
            await app.StartAsync();
            var address = app.Urls.Single();
            return new WebHostHandle(app, new Uri(address.EndsWith('/') ? address : address + "/"));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>http-ask's request body and reply.</summary>
internal sealed record EchoMessage(string Text, int N);

/// <summary>http-ask's agent: answers <c>echo</c> with the text and the number plus one.</summary>
internal sealed class EchoAgent : Agent
{
    protected override void Configure(AgentBehavior agent) => agent
        .Answer<EchoMessage, EchoMessage>("echo", message => Task.FromResult(message with { N = message.N + 1 }));
}
