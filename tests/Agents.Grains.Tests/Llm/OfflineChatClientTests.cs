using System.Text.Json;
using Agents.Llm;
using Microsoft.Extensions.AI;

namespace Agents.Grains.Tests.Llm;

public sealed class OfflineChatClientTests
{
    private readonly OfflineChatClient _model = new();

    [Fact]
    public async Task It_echoes_the_last_user_message_and_says_what_it_is()
    {
        List<ChatMessage> conversation =
        [
            new(ChatRole.System, "You are helpful."),
            new(ChatRole.User, "first"),
            new(ChatRole.Assistant, "[offline model] You said: first"),
            new(ChatRole.User, "hello there"),
        ];

        var response = await _model.GetResponseAsync(conversation);

        Assert.Equal("[offline model] You said: hello there", response.Text);
        Assert.Equal("offline", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("offline", _model.GetService<ChatClientMetadata>()?.DefaultModelId);
    }

    [Fact]
    public async Task The_same_input_gives_the_same_output()
    {
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => city, "get-weather")] };
        List<ChatMessage> conversation = [new(ChatRole.User, "what does get-weather say for Oslo?")];

        var first = await _model.GetResponseAsync(conversation, tools);
        var second = await _model.GetResponseAsync(conversation, tools);

        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.ResponseId, second.ResponseId);
        var firstCall = Assert.Single(first.Messages[0].Contents.OfType<FunctionCallContent>());
        var secondCall = Assert.Single(second.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal((firstCall.CallId, firstCall.Name), (secondCall.CallId, secondCall.Name));
        Assert.Equal(firstCall.Arguments, secondCall.Arguments);
    }

    [Fact]
    public async Task A_long_message_is_echoed_cut_to_500_characters()
    {
        var response = await _model.GetResponseAsync(new string('a', 600));

        Assert.Equal("[offline model] You said: " + new string('a', 500) + "…", response.Text);
    }

    [Theory]
    [InlineData("What does get-weather say about Paris?")]
    [InlineData("ask GETWEATHER about Paris")]
    [InlineData("use get weather for Paris")]
    public async Task A_mentioned_tool_is_called_with_the_user_text_as_its_one_required_string(string question)
    {
        var weather = AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get-weather");

        var response = await _model.GetResponseAsync(question, new ChatOptions { Tools = [weather] });

        Assert.StartsWith("[offline model]", response.Text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get-weather", call.Name);
        Assert.Equal(new Dictionary<string, object?> { ["city"] = question }, call.Arguments);
    }

    [Fact]
    public async Task A_tool_without_exactly_one_required_string_gets_the_text_as_question()
    {
        var adder = AIFunctionFactory.Create((int a, int b) => a + b, "adder");

        var response = await _model.GetResponseAsync("ask the adder", new ChatOptions { Tools = [adder] });

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(new Dictionary<string, object?> { ["question"] = "ask the adder" }, call.Arguments);
    }

    [Theory]
    [InlineData("Check the orders status for key A-17.", "A-17")]
    [InlineData("orders_status key: \"B.2@x\" please", "B.2@x")]
    [InlineData("ORDERSSTATUS KEY=c_3", "c_3")]
    public async Task A_tool_whose_string_parameters_the_text_names_gets_their_values_and_the_question_as_its_object_parameters(string question, string key)
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{"key":{"type":"string"},"body":{"type":"object"}},"required":["key","body"]}
            """).RootElement;
        var tool = AIFunctionFactory.CreateDeclaration("orders_status", "asks an order agent", schema);

        var response = await _model.GetResponseAsync(question, new ChatOptions { Tools = [tool] });

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(key, call.Arguments!["key"]);
        Assert.Equal(new Dictionary<string, object?> { ["question"] = question }, call.Arguments["body"]);
    }

    [Fact]
    public async Task A_parameter_name_inside_a_longer_word_is_not_a_mention()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"key":{"type":"string"},"body":{"type":"object"}}}""").RootElement;
        var tool = AIFunctionFactory.CreateDeclaration("orders_status", null, schema);

        var response = await _model.GetResponseAsync("orders status for monkey 12", new ChatOptions { Tools = [tool] });

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(new Dictionary<string, object?> { ["question"] = "orders status for monkey 12" }, call.Arguments);
    }

    [Fact]
    public async Task Without_a_mention_or_with_tools_switched_off_it_echoes()
    {
        var weather = AIFunctionFactory.Create((string city) => city, "get-weather");

        var unmentioned = await _model.GetResponseAsync("nice day", new ChatOptions { Tools = [weather] });
        var switchedOff = await _model.GetResponseAsync("get-weather please", new ChatOptions { Tools = [weather], ToolMode = ChatToolMode.None });

        Assert.Equal("[offline model] You said: nice day", unmentioned.Text);
        Assert.Equal("[offline model] You said: get-weather please", switchedOff.Text);
    }

    [Fact]
    public async Task After_tool_results_it_reports_what_the_tool_said()
    {
        List<ChatMessage> conversation =
        [
            new(ChatRole.User, "get-weather for Rome"),
            new(ChatRole.Assistant, [new FunctionCallContent("offline-call-1", "get-weather", new Dictionary<string, object?> { ["city"] = "Rome" })]),
            new(ChatRole.Tool, [new FunctionResultContent("offline-call-1", "Sunny")]),
        ];

        var response = await _model.GetResponseAsync(conversation);

        Assert.Equal("[offline model] get-weather says: Sunny", response.Text);
    }

    [Fact]
    public async Task With_the_tool_calling_client_it_runs_the_whole_loop()
    {
        var lookup = AIFunctionFactory.Create((string question) => "42", "lookup", "Looks things up");
        var client = new ToolCallingChatClient(_model);

        var response = await client.GetResponseAsync("please lookup the answer", new ChatOptions { Tools = [lookup] });

        Assert.Equal("[offline model] lookup says: 42", response.Messages[^1].Text);
        Assert.Equal([ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant], response.Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task Streaming_gives_the_same_reply()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _model.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "stream me")]))
        {
            updates.Add(update);
        }

        Assert.Equal("[offline model] You said: stream me", updates.ToChatResponse().Text);
    }
}
