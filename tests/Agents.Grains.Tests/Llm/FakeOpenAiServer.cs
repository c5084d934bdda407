using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Grains.Tests.Llm;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, a free port) that speaks the OpenAI chat-completions wire format as scripted by
/// <see cref="Respond"/> and records every request it receives.
/// </summary>
internal sealed class FakeOpenAiServer : IAsyncDisposable
{
    private static readonly TimeSpan StartStopLimit = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _received;

    private FakeOpenAiServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Urls.Add("http://127.0.0.1:0");
        _app.Run(HandleAsync);
    }

    /// <summary>How the server answers each request (the request's <see cref="RecordedRequest.Index"/> tells which one it is).</summary>
    public Func<RecordedRequest, FakeReply> Respond { get; set; } = _ => FakeReply.Completion("ok");

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:51234/</c>.</summary>
    public Uri Root { get; private set; } = null!;

    /// <summary>The OpenAI-style API root, <c>{Root}v1</c>.</summary>
    public Uri BaseUrl => new(Root, "v1");

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var server = new FakeOpenAiServer();
        using var limit = new CancellationTokenSource(StartStopLimit);
        await server._app.StartAsync(limit.Token);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Root = new Uri(address.TrimEnd('/') + "/");
        Assert.NotEqual(0, server.Root.Port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var limit = new CancellationTokenSource(StartStopLimit);
        await _app.StopAsync(limit.Token);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(
            Interlocked.Increment(ref _received) - 1, context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body);
        _requests.Enqueue(request);

        var reply = Respond(request);
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up
            }
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = reply.ContentType;
        foreach (var (name, value) in reply.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (reply.Events is { } events)
        {
            foreach (var data in events)
            {
                await context.Response.WriteAsync($"data: {data}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            return;
        }

        await context.Response.WriteAsync(reply.Body, context.RequestAborted);
    }
}

/// <summary>One request as the server received it.</summary>
internal sealed record RecordedRequest(int Index, string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A scripted answer.</summary>
internal sealed record FakeReply(int Status, string Body)
{
    public TimeSpan Delay { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string ContentType { get; init; } = "application/json";

    /// <summary>Server-sent events to write (each flushed on its own) instead of <see cref="Body"/>.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    public static FakeReply Completion(string text, string id = "chatcmpl-1", string model = "test-model") => new(200, new JsonObject
    {
        ["id"] = id,
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 12, ["completion_tokens"] = 5, ["total_tokens"] = 17 },
    }.ToJsonString());

    public static FakeReply ToolCalls(params (string Id, string Name, string Arguments)[] calls) => new(200, new JsonObject
    {
        ["id"] = "chatcmpl-tools",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "test-model",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = c.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                })]),
            },
            ["finish_reason"] = "tool_calls",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 3, ["total_tokens"] = 13 },
    }.ToJsonString());

    public static FakeReply Error(int status, string message, string type = "invalid_request_error") => new(status, new JsonObject
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = null },
    }.ToJsonString());

    public static FakeReply Stream(params string[] events) => new(200, "") { ContentType = "text/event-stream", Events = events };
}
