using System.Text.Json;
using Agents.Agents;
using Agents.Grains.Tests.Llm;
using Agents.Llm;
using Agents.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Roles;

/// <summary>
/// The llm role answers 'ask' with a configured model, calls other agents' requests as tools, remembers conversations, and
/// answers signals on '&lt;type&gt;.replies'. 'helper' uses the offline model; 'remote' an OpenAI-format server.
/// </summary>
public sealed class LlmAgentTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          orders: {}
          helper:
            role: llm
            settings:
              systemPrompt: You help customers with their orders.
              tools: [orders]
          remote:
            role: llm
            settings:
              systemPrompt: You answer about orders.
              provider: local
              model: test-model-x
              tools: [orders]
              maxToolRounds: 2
          quick:
            role: llm
            settings:
              systemPrompt: You answer fast.
              provider: local
              answerTimeout: 1s
          out:
            role: sink
        routes:
          - topic: remote-asks.*
            agent: remote
            key: subject
          - topic: questions.*
            agent: helper
            key: subject
          - topic: helper.replies
            agent: out
            key: { fixed: replies }
        """;

    private FakeOpenAiServer _server = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenAiServer.StartAsync();
        _cluster = RoleCluster.Builder(
                Yaml,
                agents => agents.AddAgent<OrderDeskAgent>("orders"),
                codeTypes: ["orders"],
                settings: new Dictionary<string, string?>
                {
                    ["Agents:Llm:Providers:default:Kind"] = "Offline",
                    ["Agents:Llm:Providers:local:BaseUrl"] = _server.BaseUrl.ToString(),
                    ["Agents:Llm:Providers:local:Model"] = "server-default-model",
                    ["Agents:Llm:Providers:local:MaxRetries"] = "0",
                })
            .Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task With_the_offline_model_an_ask_calls_a_code_agent_as_a_tool_and_reports_its_answer()
    {
        var reply = await _cluster.AskAsync<LlmAnswer>("helper", "alice", "ask", """{"question":"What is the orders status for key A-17?"}""");

        Assert.Equal(["orders_status"], reply.ToolCalls);
        Assert.Equal("offline", reply.Model);
        Assert.StartsWith("[offline model] orders_status says: ", reply.Answer, StringComparison.Ordinal);
        var toolResult = JsonDocument.Parse(reply.Answer["[offline model] orders_status says: ".Length..]).RootElement;
        Assert.Equal("A-17", toolResult.GetProperty("order").GetString());
        Assert.Equal("shipped", toolResult.GetProperty("status").GetString());
        Assert.Equal(1, (await _cluster.DescribeAsync("orders", "A-17")).Asks);
    }

    [Fact]
    public async Task Conversations_are_remembered_per_id_bounded_to_the_last_40_messages()
    {
        var bare = await _cluster.AskAsync<LlmAnswer>("helper", "bob", "ask", "\"hello\"");
        Assert.Equal(("[offline model] You said: hello", 0), (bare.Answer, bare.ToolCalls.Count));
        await _cluster.AskAsync("helper", "bob", "ask", """{"question":"on the side","conversation":"side"}""");
        for (var i = 2; i <= 22; i++)
        {
            await _cluster.AskAsync("helper", "bob", "ask", $"\"q{i}\"");
        }

        var history = await _cluster.AskAsync<List<LlmMessage>>("helper", "bob", "history");
        Assert.Equal(40, history.Count);
        Assert.Equal(new LlmMessage("user", "q3"), history[0]);
        Assert.Equal(new LlmMessage("assistant", "[offline model] You said: q22"), history[^1]);
        Assert.Equal(
            [new LlmMessage("user", "on the side"), new LlmMessage("assistant", "[offline model] You said: on the side")],
            await _cluster.AskAsync<List<LlmMessage>>("helper", "bob", "history", """{"conversation":"side"}"""));
        Assert.Empty(await _cluster.AskAsync<List<LlmMessage>>("helper", "someone-else", "history"));

        var empty = await Assert.ThrowsAsync<AgentRequestException>(() => _cluster.AskAsync("helper", "bob", "ask", """{"question":" "}"""));
        Assert.Contains("needs a question", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_OpenAI_compatible_server_the_model_calls_a_tool_and_later_sees_the_conversation()
    {
        _server.Respond = request => request.Index switch
        {
            0 => FakeReply.ToolCalls(("call-1", "orders_status", """{"key":"B-2","body":{"detail":"full"}}""")),
            1 => FakeReply.Completion("Order B-2 has shipped.", model: "test-model-x"),
            _ => FakeReply.Completion("You asked about B-2 before.", model: "test-model-x"),
        };

        var reply = await _cluster.AskAsync<LlmAnswer>("remote", "carol", "ask", """{"question":"Where is my order B-2?"}""");

        Assert.Equal(("Order B-2 has shipped.", "test-model-x", "stop"), (reply.Answer, reply.Model, reply.FinishReason));
        Assert.Equal(["orders_status"], reply.ToolCalls);
        var first = _server.Requests[0].Json;
        Assert.Equal("test-model-x", first.GetProperty("model").GetString());
        Assert.Equal(
            [("system", "You answer about orders."), ("user", "Where is my order B-2?")],
            first.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())));
        var tools = first.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function")).ToList();
        Assert.Equal(["orders_cancel", "orders_status"], tools.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["key", "body"], tools[1].GetProperty("parameters").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("The status of the order", tools[1].GetProperty("description").GetString(), StringComparison.Ordinal);

        // The tool ran against the agent (orders, B-2) with the body the model gave, and the model saw the result.
        var toolMessage = _server.Requests[1].Json.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("role").GetString() == "tool");
        Assert.Equal("call-1", toolMessage.GetProperty("tool_call_id").GetString());
        var result = JsonDocument.Parse(toolMessage.GetProperty("content").GetString()!).RootElement;
        Assert.Equal(("B-2", "shipped", """{"detail":"full"}"""), (result.GetProperty("order").GetString(), result.GetProperty("status").GetString(), result.GetProperty("body").GetString()));

        // The next question comes with the conversation so far: questions and answers, not tool traffic.
        var second = await _cluster.AskAsync<LlmAnswer>("remote", "carol", "ask", "\"And before?\"");
        Assert.Equal("You asked about B-2 before.", second.Answer);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal(
            [("system", "You answer about orders."), ("user", "Where is my order B-2?"), ("assistant", "Order B-2 has shipped."), ("user", "And before?")],
            _server.Requests[2].Json.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())));
    }

    [Fact]
    public async Task Reset_forgets_one_conversation_and_keeps_the_others()
    {
        await _cluster.AskAsync("helper", "gina", "ask", "\"first\"");
        await _cluster.AskAsync("helper", "gina", "ask", """{"question":"elsewhere","conversation":"other"}""");

        var reset = await _cluster.AskAsync("helper", "gina", "reset");

        Assert.Equal(("default", 2), (reset.GetProperty("conversation").GetString(), reset.GetProperty("forgotten").GetInt32()));
        Assert.Empty(await _cluster.AskAsync<List<LlmMessage>>("helper", "gina", "history"));
        Assert.Equal(2, (await _cluster.AskAsync<List<LlmMessage>>("helper", "gina", "history", "\"other\"")).Count);
        Assert.Equal(0, (await _cluster.AskAsync("helper", "gina", "reset", "\"never-used\"")).GetProperty("forgotten").GetInt32());
    }

    [Fact]
    public void A_question_replays_the_newest_messages_that_fit_the_character_limit_starting_with_a_question()
    {
        static LlmMessage Message(string role, int length) => new(role, new string(role[0], length));
        var half = LlmAgent.MaxReplayedCharacters / 2;

        // Everything fits: everything is replayed.
        List<LlmMessage> short_ = [Message("user", 10), Message("assistant", 10)];
        Assert.Equal(short_, LlmAgent.Replayed(short_));

        // Only the last exchange fits.
        List<LlmMessage> long_ = [Message("user", half), Message("assistant", half), Message("user", 100), Message("assistant", half)];
        Assert.Equal(long_[2..], LlmAgent.Replayed(long_));

        // The oldest message that would fit is an answer without its question: it is left out too.
        List<LlmMessage> split = [Message("user", half), Message("assistant", 100), Message("user", 100), Message("assistant", half)];
        Assert.Equal(split[2..], LlmAgent.Replayed(split));

        // A single message longer than the limit is not replayed at all.
        Assert.Empty(LlmAgent.Replayed([Message("user", 100), Message("assistant", LlmAgent.MaxReplayedCharacters + 1)]));
    }

    [Fact]
    public async Task A_model_slower_than_the_answer_timeout_fails_the_question_clearly_and_saves_nothing()
    {
        _server.Respond = _ => FakeReply.Completion("too late") with { Delay = TimeSpan.FromSeconds(20) };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => _cluster.AskAsync("quick", "erin", "ask", "\"anyone?\""));

        Assert.Contains("could not answer within 1 s (answerTimeout", error.Message, StringComparison.Ordinal);
        Assert.Empty(await _cluster.AskAsync<List<LlmMessage>>("quick", "erin", "history"));
    }

    [Fact]
    public async Task A_signal_the_model_refuses_for_good_is_dead_lettered_without_retries()
    {
        _server.Respond = _ => FakeReply.Error(401, "Incorrect API key provided.", "invalid_api_key");

        var signal = await _cluster.PublishAsync("remote-asks.new", "\"where is B-2?\"", subject: "frank");

        DeadLetter? letter = null;
        await Eventually.HoldsAsync(async () =>
        {
            letter = (await _cluster.Client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(100)).SingleOrDefault(l => l.Signal.Id == signal.Id);
            return letter is not null;
        }, "the refused question is dead-lettered");
        Assert.Equal(1, letter!.Attempts);
        Assert.Equal(typeof(LlmException).FullName, letter.ErrorType);
        Assert.Contains("answered HTTP 401", letter.ErrorMessage, StringComparison.Ordinal);
        Assert.Single(_server.Requests); // one try: MaxRetries is 0 here, and the signal was not retried either
    }

    [Theory]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    public void An_llm_error_is_transient_when_asking_again_later_could_succeed(int status, bool transient)
    {
        var error = new LlmException("x", (System.Net.HttpStatusCode)status);

        Assert.Equal(transient, error.IsTransient);
        Assert.Equal(transient, ((IRetryableFailure)error).CanSucceedOnRetry);
        Assert.True(new LlmException("unreachable", (System.Net.HttpStatusCode?)null).IsTransient);
    }

    [Fact]
    public async Task A_signal_is_a_question_whose_answer_is_published_on_the_types_replies_topic()
    {
        var question = await _cluster.PublishAsync("questions.new", "\"is anyone there?\"", subject: "dana");

        await Eventually.HoldsAsync(async () => (await _cluster.SinkAsync("out", "replies")).Count == 1, "the answer is published");
        var answer = Assert.Single(await _cluster.SinkAsync("out", "replies"));
        Assert.Equal(("helper.replies", "dana", question.Id, "/agents/helper/dana"), (answer.Topic, answer.Subject, answer.CausationId, answer.Source));
        Assert.Equal("[offline model] You said: is anyone there?", answer.DataAs<LlmAnswer>()!.Answer);
        Assert.Equal([new LlmMessage("user", "is anyone there?"), new LlmMessage("assistant", "[offline model] You said: is anyone there?")],
            await _cluster.AskAsync<List<LlmMessage>>("helper", "dana", "history"));
    }
}

public sealed record OrderStatus(string Order, string Status, string Body);

/// <summary>A code-defined agent an llm agent can call: one agent per order.</summary>
public sealed class OrderDeskAgent : Agent
{
    protected override void Configure(AgentBehavior agent) => agent
        .Answer<JsonElement?, OrderStatus>(
            "status", body => Task.FromResult(new OrderStatus(Context.Id.Key, "shipped", body?.GetRawText() ?? "null")), "The status of the order whose id is the key.")
        .Answer<object?, bool>("cancel", _ => Task.FromResult(false));
}
