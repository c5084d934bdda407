using System.Text.Json;
using Agents.Llm;
using Microsoft.Extensions.AI;

namespace Agents.Grains.Tests.Llm;

public sealed class ToolCallingChatClientTests : IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _limit = new(TimeSpan.FromSeconds(30));
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _limit.Dispose();
    }

    [Fact]
    public async Task A_tool_call_round_trips_through_the_OpenAI_wire_format()
    {
        _server.Respond = request => request.Index == 0
            ? FakeReply.ToolCalls(("call_1", "get_weather", """{"city":"Paris"}"""))
            : FakeReply.Completion("It is sunny in Paris.", id: "chatcmpl-final");
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create(
            (string city) =>
            {
                cities.Add(city);
                return $"Sunny in {city}";
            },
            "get_weather",
            "Gets the weather for a city");
        var inner = new OpenAiCompatibleChatClient(_http, new OpenAiCompatibleOptions { BaseUrl = _server.BaseUrl, Model = "test-model", ApiKey = "k" });
        var client = new ToolCallingChatClient(inner);
        List<ChatMessage> conversation = [new(ChatRole.User, "What is the weather in Paris?")];

        var response = await client.GetResponseAsync(conversation, new ChatOptions { Tools = [weather] }, _limit.Token);

        Assert.Equal(["Paris"], cities);
        Assert.Equal("It is sunny in Paris.", response.Text);
        Assert.Equal("chatcmpl-final", response.ResponseId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(10 + 12, response.Usage?.InputTokenCount); // summed over both rounds
        Assert.Equal(13 + 17, response.Usage?.TotalTokenCount);
        Assert.Equal([ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], response.Messages.Select(m => m.Role));
        Assert.Single(conversation); // the caller's list is left alone

        Assert.Equal(2, _server.Requests.Count);
        Assert.True(_server.Requests[1].Json.TryGetProperty("tools", out _));
        var messages = _server.Requests[1].Json.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        Assert.Equal("user", messages[0].GetProperty("role").GetString());

        var assistant = messages[1];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, assistant.GetProperty("content").ValueKind);
        var call = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        using var arguments = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal("Paris", arguments.RootElement.GetProperty("city").GetString());

        var tool = messages[2];
        Assert.Equal("tool", tool.GetProperty("role").GetString());
        Assert.Equal("call_1", tool.GetProperty("tool_call_id").GetString());
        Assert.Equal("Sunny in Paris", tool.GetProperty("content").GetString());
    }

    [Fact]
    public async Task An_unknown_tool_and_a_failing_tool_send_their_errors_back_to_the_model()
    {
        var boom = AIFunctionFactory.Create(string () => throw new InvalidOperationException("kaboom"), "boom");
        var model = new ScriptedChatClient(
            _ => Calls(("c1", "nope"), ("c2", "boom")),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "recovered")));
        var client = new ToolCallingChatClient(model);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { Tools = [boom] }, _limit.Token);

        Assert.Equal("recovered", response.Text);
        Assert.Equal(2, model.Received.Count);
        var toolMessage = model.Received[1][^1];
        Assert.Equal(ChatRole.Tool, toolMessage.Role);
        var results = toolMessage.Contents.OfType<FunctionResultContent>().ToList();
        Assert.Equal(["c1", "c2"], results.Select(r => r.CallId));
        Assert.Contains("there is no tool named 'nope'", (string)results[0].Result!, StringComparison.Ordinal);
        Assert.Contains("boom", (string)results[0].Result!, StringComparison.Ordinal); // lists the tools there are
        Assert.Contains("tool 'boom' failed: kaboom", (string)results[1].Result!, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(results[1].Exception);
    }

    [Fact]
    public async Task Arguments_the_provider_could_not_read_go_back_to_the_model_as_an_error()
    {
        var echo = AIFunctionFactory.Create((string text) => text, "echo");
        var badCall = FunctionCallContent.CreateFromParsedArguments("{not json", "c1", "echo", text => (IDictionary<string, object?>)JsonSerializer.Deserialize<Dictionary<string, object?>>(text)!);
        var model = new ScriptedChatClient(
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [badCall])),
            _ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));

        await new ToolCallingChatClient(model).GetResponseAsync([new ChatMessage(ChatRole.User, "go")], new ChatOptions { Tools = [echo] }, _limit.Token);

        var result = Assert.Single(model.Received[1][^1].Contents.OfType<FunctionResultContent>());
        Assert.StartsWith("Error: the arguments for tool 'echo' could not be read", (string)result.Result!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_MaxToolRounds_the_last_response_comes_back_with_a_note_and_its_calls_not_run()
    {
        var runs = 0;
        var count = AIFunctionFactory.Create(() => ++runs, "count");
        var model = new ScriptedChatClient(conversation => Calls(($"c{conversation.Count}", "count")));
        var client = new ToolCallingChatClient(model, maxToolRounds: 2);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "count forever")], new ChatOptions { Tools = [count] }, _limit.Token);

        Assert.Equal(2, runs);
        Assert.Equal(3, model.Received.Count);
        Assert.Contains("tool rounds exhausted", response.Text, StringComparison.Ordinal);
        Assert.Equal(true, response.AdditionalProperties?[ToolCallingChatClient.ToolRoundsExhaustedProperty]);
        // assistant(calls), tool, assistant(calls), tool, assistant(calls + note)
        Assert.Equal([ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], response.Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task Without_AIFunction_tools_the_calls_go_back_to_the_caller()
    {
        var model = new ScriptedChatClient(_ => Calls(("c1", "anything")));
        var declarationOnly = AIFunctionFactory.CreateDeclaration("anything", "run by the caller", JsonDocument.Parse("""{"type":"object"}""").RootElement);

        var none = await new ToolCallingChatClient(model).GetResponseAsync([new ChatMessage(ChatRole.User, "go")], null, _limit.Token);
        var declared = await new ToolCallingChatClient(model).GetResponseAsync(
            [new ChatMessage(ChatRole.User, "go")], new ChatOptions { Tools = [declarationOnly, AIFunctionFactory.Create(() => 1, "other")] }, _limit.Token);

        Assert.Single(none.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Single(declared.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(2, model.Received.Count);
    }

    [Fact]
    public async Task Streaming_runs_the_tools_between_rounds()
    {
        var lookup = AIFunctionFactory.Create((string question) => "42", "lookup");
        var client = new ToolCallingChatClient(new OfflineChatClient());

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "please lookup the answer")], new ChatOptions { Tools = [lookup] }, _limit.Token))
        {
            updates.Add(update);
        }

        Assert.Contains(updates, u => u.Role == ChatRole.Tool && u.Contents.OfType<FunctionResultContent>().Any());
        Assert.Equal("[offline model] lookup says: 42", updates[^1].Text);
    }

    private static ChatResponse Calls(params (string Id, string Name)[] calls) =>
        new(new ChatMessage(ChatRole.Assistant, [.. calls.Select(c => (AIContent)new FunctionCallContent(c.Id, c.Name, new Dictionary<string, object?>()))]))
        {
            FinishReason = ChatFinishReason.ToolCalls,
        };

    /// <summary>A model that answers from a script (the last entry repeats) and records every conversation it was sent.</summary>
    private sealed class ScriptedChatClient(params Func<IReadOnlyList<ChatMessage>, ChatResponse>[] script) : IChatClient
    {
        public List<List<ChatMessage>> Received { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var conversation = messages.ToList();
            Received.Add(conversation);
            return Task.FromResult(script[Math.Min(Received.Count - 1, script.Length - 1)](conversation));
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
