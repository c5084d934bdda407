using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Agents.Llm;
using Microsoft.Extensions.AI;

namespace Agents.Grains.Tests.Llm;

public sealed class OpenAiCompatibleChatClientTests : IAsyncLifetime
{
    private const string Key = "sk-test-SECRET-0123456789";
    private static readonly TimeSpan TestLimit = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _limit = new(TestLimit);
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _limit.Dispose();
    }

    private OpenAiCompatibleChatClient Client(Func<OpenAiCompatibleOptions, OpenAiCompatibleOptions>? change = null)
    {
        var options = new OpenAiCompatibleOptions { BaseUrl = _server.BaseUrl, Model = "test-model", ApiKey = Key, RequestTimeout = TimeSpan.FromSeconds(10) };
        return new OpenAiCompatibleChatClient(_http, change?.Invoke(options) ?? options);
    }

    [Fact]
    public async Task A_plain_completion_round_trips_with_the_OpenAI_request_shape()
    {
        _server.Respond = _ => FakeReply.Completion("Hello from the model.", id: "chatcmpl-42", model: "test-model-2025");
        var client = Client();

        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Say hello, café ☕")],
            new ChatOptions { Temperature = 0.25f, MaxOutputTokens = 50 },
            _limit.Token);

        Assert.Equal("Hello from the model.", response.Text);
        Assert.Equal("chatcmpl-42", response.ResponseId);
        Assert.Equal("test-model-2025", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), response.CreatedAt);
        Assert.Equal(12, response.Usage?.InputTokenCount);
        Assert.Equal(5, response.Usage?.OutputTokenCount);
        Assert.Equal(17, response.Usage?.TotalTokenCount);
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.PathAndQuery);
        Assert.Equal($"Bearer {Key}", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        var json = request.Json;
        Assert.Equal("test-model", json.GetProperty("model").GetString());
        var messages = json.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("Be brief.", messages[0].GetProperty("content").GetString());
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Equal("Say hello, café ☕", messages[1].GetProperty("content").GetString());
        Assert.Equal(0.25, json.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(50, json.GetProperty("max_tokens").GetInt32());
        Assert.False(json.TryGetProperty("tools", out _));
        Assert.False(json.TryGetProperty("stream", out _));
    }

    [Fact]
    public async Task Instructions_and_model_override_come_from_the_chat_options()
    {
        var client = Client();

        await client.GetResponseAsync("hi", new ChatOptions { Instructions = "You are terse.", ModelId = "other-model" }, _limit.Token);

        var json = Assert.Single(_server.Requests).Json;
        Assert.Equal("other-model", json.GetProperty("model").GetString());
        Assert.Equal("system", json.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("You are terse.", json.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("hi", json.GetProperty("messages")[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Without_a_key_no_authorization_is_sent()
    {
        var client = Client(o => o with { ApiKey = null });

        await client.GetResponseAsync("hi", cancellationToken: _limit.Token);

        var request = Assert.Single(_server.Requests);
        Assert.Null(request.Header("Authorization"));
        Assert.Null(request.Header("api-key"));
    }

    [Fact]
    public async Task Azure_mode_posts_to_the_full_endpoint_with_an_api_key_header_read_from_the_environment_at_call_time()
    {
        var variable = "AGENTS_LLM_TEST_KEY_" + Guid.NewGuid().ToString("N");
        var endpoint = new Uri(_server.Root, "openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
        var client = Client(o => o with { BaseUrl = endpoint, ApiKey = null, ApiKeyEnvironmentVariable = variable, UseAzureApiKeyHeader = true });
        Environment.SetEnvironmentVariable(variable, "azure-key-1");
        try
        {
            await client.GetResponseAsync("hi", cancellationToken: _limit.Token);
            Environment.SetEnvironmentVariable(variable, "azure-key-2");
            await client.GetResponseAsync("hi", cancellationToken: _limit.Token);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Assert.Equal(endpoint, client.Endpoint);
        Assert.Collection(
            _server.Requests,
            first =>
            {
                Assert.Equal("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", first.PathAndQuery);
                Assert.Equal("azure-key-1", first.Header("api-key"));
                Assert.Null(first.Header("Authorization"));
            },
            second => Assert.Equal("azure-key-2", second.Header("api-key")));
    }

    [Fact]
    public async Task A_missing_key_variable_fails_before_sending_and_names_the_variable()
    {
        var variable = "AGENTS_LLM_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        var client = Client(o => o with { ApiKey = null, ApiKeyEnvironmentVariable = variable });

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Contains("ApiKeyEnvironmentVariable", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Tools_are_declared_and_tool_calls_are_parsed()
    {
        _server.Respond = _ => FakeReply.ToolCalls(("call_abc", "get_weather", """{"city":"Paris","days":2}"""));
        var weather = AIFunctionFactory.Create((string city, int days) => $"Sunny in {city}", "get_weather", "Gets the weather for a city");
        var client = Client();

        var response = await client.GetResponseAsync("Weather in Paris?", new ChatOptions { Tools = [weather], ToolMode = ChatToolMode.Auto }, _limit.Token);

        var tools = Assert.Single(_server.Requests).Json.GetProperty("tools");
        var tool = Assert.Single(tools.EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        var function = tool.GetProperty("function");
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        Assert.Equal("Gets the weather for a city", function.GetProperty("description").GetString());
        Assert.Equal("object", function.GetProperty("parameters").GetProperty("type").GetString());
        Assert.Equal("string", function.GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("auto", _server.Requests[0].Json.GetProperty("tool_choice").GetString());

        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_abc", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Null(call.Exception);
        Assert.Equal("Paris", Assert.IsType<JsonElement>(call.Arguments!["city"]).GetString());
        Assert.Equal(2, Assert.IsType<JsonElement>(call.Arguments["days"]).GetInt32());
    }

    [Fact]
    public async Task Tool_calls_without_a_result_are_not_sent_so_the_history_stays_acceptable()
    {
        var client = Client();
        List<ChatMessage> conversation =
        [
            new(ChatRole.User, "go"),
            new(ChatRole.Assistant, [new FunctionCallContent("answered", "t", new Dictionary<string, object?> { ["n"] = 1 })]),
            new(ChatRole.Tool, [new FunctionResultContent("answered", new Dictionary<string, int> { ["n"] = 2 })]),
            new(ChatRole.Assistant, [new FunctionCallContent("dangling", "t"), new TextContent("[tool rounds exhausted: ...]")]),
            new(ChatRole.Assistant, [new FunctionCallContent("dangling-too", "t")]),
            new(ChatRole.User, "and now?"),
        ];

        await client.GetResponseAsync(conversation, cancellationToken: _limit.Token);

        var messages = Assert.Single(_server.Requests).Json.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "tool", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""{"n":1}""", messages[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("""{"n":2}""", messages[2].GetProperty("content").GetString());
        Assert.False(messages[3].TryGetProperty("tool_calls", out _));
        Assert.Equal("[tool rounds exhausted: ...]", messages[3].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_server_error_is_retried_and_the_retry_succeeds()
    {
        _server.Respond = request => request.Index == 0 ? FakeReply.Error(500, "The server had an error", "server_error") : FakeReply.Completion("second time lucky");
        var client = Client();

        var response = await client.GetResponseAsync("hi", cancellationToken: _limit.Token);

        Assert.Equal("second time lucky", response.Text);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(_server.Requests[0].Body, _server.Requests[1].Body);
    }

    [Fact]
    public async Task Too_many_requests_waits_as_long_as_Retry_After_says()
    {
        _server.Respond = request => request.Index == 0
            ? FakeReply.Error(429, "Rate limit reached", "rate_limit_exceeded") with { Headers = new Dictionary<string, string> { ["Retry-After"] = "1" } }
            : FakeReply.Completion("done");
        var client = Client();
        var clock = Stopwatch.StartNew();

        var response = await client.GetResponseAsync("hi", cancellationToken: _limit.Token);

        Assert.Equal("done", response.Text);
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed}, before the 1 s the server asked for");
    }

    [Fact]
    public async Task When_retries_run_out_the_error_names_the_status_and_the_attempts()
    {
        _server.Respond = _ => FakeReply.Error(503, "Overloaded, try later", "server_error") with { Headers = new Dictionary<string, string> { ["retry-after-ms"] = "20" } };
        var client = Client(o => o with { MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("Overloaded, try later", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_is_not_retried_and_names_status_endpoint_and_server_message_but_never_the_key()
    {
        // The server echoes the key it got, as some do: the exception must still not contain it.
        _server.Respond = request => FakeReply.Error(401, $"Incorrect API key provided: {request.Header("Authorization")![7..]}. You can find your API key at the dashboard.");
        var client = Client();

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Single(_server.Requests);
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", error.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{_server.BaseUrl}/chat/completions", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_retried_then_reported()
    {
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var client = Client(o => o with { BaseUrl = new Uri($"http://127.0.0.1:{port}/v1"), MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Contains($"The LLM at http://127.0.0.1:{port}/v1/chat/completions could not be reached (after 2 attempts)", error.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task A_non_JSON_error_body_is_quoted()
    {
        _server.Respond = _ => new FakeReply(502, "<html>Bad gateway</html>") { ContentType = "text/html" };
        var client = Client(o => o with { MaxRetries = 0 });

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Contains("502", error.Message, StringComparison.Ordinal);
        Assert.Contains("<html>Bad gateway</html>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_server_gives_a_timeout_error_that_says_how_to_raise_the_limit()
    {
        _server.Respond = _ => FakeReply.Completion("too late") with { Delay = TimeSpan.FromSeconds(20) };
        var client = Client(o => o with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the timeout took {clock.Elapsed}");
        Assert.Null(error.StatusCode);
        Assert.Contains("did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests); // timeouts are not retried
    }

    [Fact]
    public async Task Cancelling_the_token_cancels_the_call_and_is_not_an_LlmException()
    {
        _server.Respond = _ => FakeReply.Completion("too late") with { Delay = TimeSpan.FromSeconds(20) };
        var client = Client();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_limit.Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task A_200_that_is_not_a_completion_is_an_LlmException()
    {
        _server.Respond = _ => new FakeReply(200, """{"object":"list","data":[]}""");
        var client = Client();

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Contains("not a chat completion", error.Message, StringComparison.Ordinal);
        Assert.Contains("choices", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tool_calls_the_server_sent_without_an_id_get_ids_no_other_call_shares()
    {
        const string Completion = """{"choices":[{"message":{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}}]}""";
        string IdOf(ChatResponse response) => response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().CallId;

        var first = IdOf(OpenAiWire.ReadResponse(JsonDocument.Parse(Completion).RootElement));
        var second = IdOf(OpenAiWire.ReadResponse(JsonDocument.Parse(Completion).RootElement));

        Assert.StartsWith("call_0_", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second); // a later round's call must not pass for an earlier one when the history is replayed
    }

    [Theory]
    [InlineData("""{"choices":[42]}""", "choices[0] has no \"message\" object")]
    [InlineData("""{"choices":["text"]}""", "choices[0] has no \"message\" object")]
    public async Task A_completion_whose_choice_is_not_an_object_is_an_LlmException(string body, string reason)
    {
        _server.Respond = _ => new FakeReply(200, body);

        var error = await Assert.ThrowsAsync<LlmException>(() => Client().GetResponseAsync("hi", cancellationToken: _limit.Token));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42", "a stream chunk is a JSON object, not Number")]
    [InlineData("""{"choices":[null]}""", "choices[0] is a JSON object, not Null")]
    public async Task A_stream_chunk_that_is_not_an_object_is_an_LlmException(string chunk, string reason)
    {
        _server.Respond = _ => FakeReply.Stream(chunk);

        var error = await Assert.ThrowsAsync<LlmException>(async () =>
        {
            await foreach (var _ in Client().GetStreamingResponseAsync("hi", cancellationToken: _limit.Token))
            {
            }
        });

        Assert.Contains("not a chat completion chunk", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_reads_server_sent_events_and_assembles_tool_calls()
    {
        _server.Respond = _ => FakeReply.Stream(
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{"role":"assistant","content":"Let me "},"finish_reason":null}]}""",
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{"content":"check."},"finish_reason":null}]}""",
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_s1","type":"function","function":{"name":"lookup","arguments":""}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"x\"}"}}]},"finish_reason":null}]}""",
            """{"id":"chatcmpl-s","model":"test-model","created":1700000000,"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}""",
            "[DONE]");
        var client = Client();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "look up x")], cancellationToken: _limit.Token))
        {
            updates.Add(update);
        }

        Assert.Equal(JsonValueKind.True, Assert.Single(_server.Requests).Json.GetProperty("stream").ValueKind);
        Assert.Equal(["Let me ", "check."], updates.Select(u => u.Text).Where(t => t.Length > 0));
        var response = updates.ToChatResponse();
        Assert.Equal("Let me check.", response.Text);
        Assert.Equal("chatcmpl-s", response.ResponseId);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(7, response.Usage?.TotalTokenCount);
        var call = Assert.Single(Assert.Single(response.Messages).Contents.OfType<FunctionCallContent>());
        Assert.Equal(("call_s1", "lookup"), (call.CallId, call.Name));
        Assert.Equal("x", Assert.IsType<JsonElement>(call.Arguments!["q"]).GetString());
    }

    [Fact]
    public async Task Streaming_from_a_server_that_ignores_stream_still_yields_the_answer()
    {
        _server.Respond = _ => FakeReply.Completion("whole answer");
        var client = Client();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: _limit.Token))
        {
            updates.Add(update);
        }

        Assert.Equal("whole answer", updates.ToChatResponse().Text);
    }

    [Fact]
    public void Options_validation_names_each_bad_field()
    {
        var options = new OpenAiCompatibleOptions
        {
            BaseUrl = new Uri("ftp://models.example/v1"),
            Model = " ",
            RequestTimeout = TimeSpan.Zero,
            MaxRetries = -1,
            UseAzureApiKeyHeader = true,
        };

        var errors = options.Validate("Agents:Llm:Providers:default");

        Assert.Contains("Agents:Llm:Providers:default:BaseUrl is not an absolute http(s) URL ('ftp://models.example/v1')", errors);
        Assert.Contains(errors, e => e.StartsWith("Agents:Llm:Providers:default:Model is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Agents:Llm:Providers:default:RequestTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Agents:Llm:Providers:default:MaxRetries", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Agents:Llm:Providers:default:UseAzureApiKeyHeader", StringComparison.Ordinal));
        var thrown = Assert.Throws<InvalidOperationException>(() => new OpenAiCompatibleChatClient(_http, options));
        Assert.Contains("OpenAiCompatibleOptions:BaseUrl", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_never_print_the_key()
    {
        var options = new OpenAiCompatibleOptions { BaseUrl = new Uri("http://localhost:11434/v1"), Model = "llama3.2", ApiKey = Key };

        Assert.DoesNotContain(Key, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("llama3.2", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions")]
    [InlineData("http://localhost:11434/v1/", "http://localhost:11434/v1/chat/completions")]
    [InlineData("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions")]
    [InlineData("https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21", "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21")]
    [InlineData("https://r.openai.azure.com/openai/deployments/d?api-version=2024-10-21", "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21")]
    public void The_endpoint_is_the_base_url_plus_chat_completions_unless_it_is_already_the_endpoint(string baseUrl, string endpoint) =>
        Assert.Equal(new Uri(endpoint), OpenAiCompatibleChatClient.ChatCompletionsEndpoint(new Uri(baseUrl)));
}
