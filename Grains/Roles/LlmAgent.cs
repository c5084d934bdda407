using System.Text.Json;
using Agents.Agents;
using Agents.Llm;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Roles;

/*
 * The built-in llm role: settings { systemPrompt, provider, model, tools, maxToolRounds, answerTimeout } (validated by RoleSchemas).
 *
 * Requests and signals
 *  - ask: body { question, conversation? } or a bare JSON string (the question). Reply { answer, toolCalls, model }:
 *    answer = the text of the model's last assistant message, toolCalls = the names of the functions the model called,
 *    in order (repeats kept), model = the model id the provider reported (else the configured one).
 *  - history: body { conversation? } or a bare string, or nothing -> that conversation's messages, oldest first.
 *  - reset: the same body -> forgets that conversation; replies { conversation, forgotten }.
 *  - A signal routed to the agent: its data is the question (a JSON string as its text, anything else as JSON text),
 *    asked in the default conversation; the reply (same shape as ask's) is published on "<agent type>.replies" with the
 *    signal's subject, caused by the signal. Signals on that replies topic itself are ignored, so a route that sends
 *    everything to the agent cannot make it answer itself forever.
 *
 * Invariants
 *  - Memory: per agent (type, key), conversations by id ("default" when none is named). Only questions and final answers
 *    are kept (tool calls and results are not replayed to the model); each conversation keeps its last 40 messages, and
 *    the agent its 20 most recently used conversations. A question replays at most MaxReplayedCharacters of them (the
 *    newest, from a user message), so long messages cannot push a conversation past the model's context window. The system prompt is never stored; it leads every request.
 *  - Durability: the exchange is saved after the model answered (and, for a signal, after the reply was published), so a
 *    failed attempt leaves no half exchange in memory: the agent grain reloads the last saved state before a retry.
 *  - Tools: every request each listed agent type answers is offered as the function "<type>_<request>" with parameters
 *    { key, body } (AgentRequestTool); the list is read from AgentCapabilities on first use, never in the constructor
 *    (computing capabilities creates this agent). At most maxToolRounds rounds (default 4) run per question.
 *  - The model comes from ILlmProviders (Agents:Llm): 'provider' names one, else the default; with nothing configured the
 *    default is the offline model, so a topology with an llm agent runs without keys or network.
 *  - Time: one question has answerTimeout (default and most AnswerBudget, 110 s, under an ask's 2 minutes) for its model
 *    calls, retries and tool rounds;
 *    past it the work is cancelled and the question fails with an LlmException (transient), having saved nothing. A
 *    signal whose model refuses it for good (a 4xx other than 408/429, a missing key) is dead-lettered without retries.
 */

/// <summary>The body of an llm agent's <c>ask</c> request (a bare JSON string is the question alone).</summary>
public sealed record LlmQuestion(string? Question, string? Conversation = null);

/// <summary>An llm agent's reply to <c>ask</c>, and the data of the signals it publishes on <c>&lt;type&gt;.replies</c>.</summary>
/// <remarks>
/// <see cref="FinishReason"/> is why the model stopped, as the provider said (<c>stop</c>, <c>length</c>, <c>content_filter</c>,
/// <c>tool_calls</c>), or null when it did not say: <c>length</c> means the answer was cut off.
/// </remarks>
public sealed record LlmAnswer(string Answer, IReadOnlyList<string> ToolCalls, string Model, string? FinishReason = null);

/// <summary>One remembered message: <see cref="Role"/> is <c>user</c> or <c>assistant</c>.</summary>
public sealed record LlmMessage(string Role, string Text);

/// <summary>One conversation's remembered messages.</summary>
public sealed class LlmConversation
{
    public List<LlmMessage> Messages { get; set; } = [];

    public DateTimeOffset LastUsed { get; set; }
}

/// <summary>What an llm agent keeps, durably: its conversations by id.</summary>
public sealed class LlmState
{
    public Dictionary<string, LlmConversation> Conversations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Questions answered in all (asks and signals).</summary>
    public long Answered { get; set; }
}

/// <summary>The built-in <c>llm</c> role: a chat agent over a configured model, with other agent types as tools. See the notes at the top of this file.</summary>
public sealed partial class LlmAgent : Agent<LlmState>
{
    /// <summary>Messages kept per conversation.</summary>
    public const int KeptMessages = 40;

    /// <summary>The most characters of a conversation's remembered messages sent back to the model with a question (about 12,000 tokens).</summary>
    public const int MaxReplayedCharacters = 48_000;

    /// <summary>
    /// The most one question may take, model calls, retries and tool rounds together: under the two minutes an ask waits
    /// (IAgentGrain.Ask's response timeout), so a slow model ends in this agent's own clear error, with nothing saved,
    /// instead of the caller timing out while the agent carries on and saves an answer nobody receives.
    /// </summary>
    public static readonly TimeSpan AnswerBudget = TimeSpan.FromSeconds(110);

    /// <summary>Conversations kept per agent (the least recently used go first).</summary>
    public const int KeptConversations = 20;

    /// <summary>The conversation of asks that name none, and of signals.</summary>
    public const string DefaultConversation = "default";

    /// <summary>The longest conversation id accepted.</summary>
    public const int MaxConversationIdLength = 200;

    private readonly string _systemPrompt;
    private readonly string? _provider;
    private readonly string? _model;
    private readonly IReadOnlyList<string> _toolTypes;
    private readonly int _maxToolRounds;
    private readonly TimeSpan _answerTimeout;
    private IChatClient? _client;
    private IList<AITool>? _tools;

    public LlmAgent(AgentTypeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var settings = definition.Settings;
        if (settings.ValueKind != JsonValueKind.Object || !settings.TryGetProperty("systemPrompt", out var prompt))
        {
            throw new ArgumentException($"Agent type '{definition.Name}' (role llm) needs the setting 'systemPrompt'.", nameof(definition));
        }

        _systemPrompt = prompt.GetString() ?? "";
        _provider = settings.TryGetProperty("provider", out var provider) ? provider.GetString() : null;
        _model = settings.TryGetProperty("model", out var model) ? model.GetString() : null;
        _toolTypes = settings.TryGetProperty("tools", out var tools) ? [.. tools.EnumerateArray().Select(t => t.GetString()!)] : [];
        _maxToolRounds = settings.TryGetProperty("maxToolRounds", out var rounds) ? rounds.GetInt32() : ToolCallingChatClient.DefaultMaxToolRounds;
        _answerTimeout = settings.TryGetProperty("answerTimeout", out var timeout)
            ? TimeSpan.Parse(timeout.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : AnswerBudget;
    }

    /// <summary>The topic an llm agent of type <paramref name="agentType"/> publishes its answers to signals on.</summary>
    public static string RepliesTopic(string agentType) => $"{agentType}.replies";

    protected override void Configure(AgentBehavior agent) => agent
        .On("#", OnSignalAsync)
        .Answer("ask", AskAsync, "Asks the model: body { question, conversation } or a string; replies { answer, toolCalls, model }.", typeof(LlmQuestion))
        .Answer(
            "history",
            body => Task.FromResult(JsonSerializer.SerializeToElement<IReadOnlyList<LlmMessage>>(
                State.Conversations.TryGetValue(ConversationOf(body), out var c) ? c.Messages : [], SignalJson.Options)),
            "A conversation's remembered messages, oldest first: body { conversation } or a string (the default conversation when absent).",
            typeof(LlmQuestion))
        .Answer(
            "reset",
            ResetAsync,
            "Forgets a conversation: body { conversation } or a string (the default conversation when absent); replies { conversation, forgotten } (messages removed).",
            typeof(LlmQuestion));

    protected override string DescribeState() => JsonSerializer.Serialize(
        new
        {
            answered = State.Answered,
            conversations = State.Conversations.ToDictionary(c => c.Key, c => c.Value.Messages.Count, StringComparer.Ordinal),
            provider = _provider,
            model = _model,
            tools = _toolTypes,
        },
        SignalJson.Options);

    private async Task<JsonElement> AskAsync(JsonElement body)
    {
        var (question, conversation) = body.ValueKind switch
        {
            JsonValueKind.String => (body.GetString(), DefaultConversation),
            JsonValueKind.Object => (ReadQuestion(body).Question, ConversationOf(body)),
            _ => throw new AgentRequestException("The body of 'ask' must be { \"question\": \"...\", \"conversation\": \"optional id\" } or a JSON string."),
        };
        if (string.IsNullOrWhiteSpace(question))
        {
            throw new AgentRequestException("'ask' needs a question: { \"question\": \"...\" } or a JSON string.");
        }

        var answer = await AnswerAsync(conversation, question);
        await SaveStateAsync();
        return JsonSerializer.SerializeToElement(answer, SignalJson.Options);
    }

    private async Task<JsonElement> ResetAsync(JsonElement body)
    {
        var conversation = ConversationOf(body);
        var forgotten = State.Conversations.Remove(conversation, out var removed) ? removed.Messages.Count : 0;
        if (forgotten > 0)
        {
            await SaveStateAsync();
        }

        return JsonSerializer.SerializeToElement(new { conversation, forgotten }, SignalJson.Options);
    }

    /// <summary>
    /// The newest of <paramref name="remembered"/> that fit in <see cref="MaxReplayedCharacters"/>, starting with a user message,
    /// so a conversation of long messages never outgrows the model's context window (which would fail every later question).
    /// </summary>
    internal static IEnumerable<LlmMessage> Replayed(List<LlmMessage> remembered)
    {
        var from = remembered.Count;
        var characters = 0;
        while (from > 0 && characters + remembered[from - 1].Text.Length <= MaxReplayedCharacters)
        {
            characters += remembered[--from].Text.Length;
        }

        while (from < remembered.Count && remembered[from].Role != "user")
        {
            from++;
        }

        return remembered.Skip(from);
    }

    private async Task OnSignalAsync(Signal signal)
    {
        var repliesTopic = RepliesTopic(Context.Id.Type);
        if (string.Equals(signal.Topic, repliesTopic, StringComparison.Ordinal))
        {
            LogOwnReplyIgnored(Context.Logger, Context.Id, signal.Id, signal.Topic);
            return;
        }

        var data = signal.DataElement();
        var question = data.ValueKind == JsonValueKind.String ? data.GetString() ?? "" : data.GetRawText();
        var answer = await AnswerAsync(DefaultConversation, question);
        await Context.PublishAsync(repliesTopic, answer, signal.Subject);
        await SaveStateAsync();
    }

    /// <summary>Asks the model and records the exchange in <see cref="Agent{TState}.State"/> (not saved).</summary>
    private async Task<LlmAnswer> AnswerAsync(string conversationId, string question)
    {
        var conversation = State.Conversations.GetValueOrDefault(conversationId) ?? new LlmConversation();
        List<ChatMessage> messages = [new(ChatRole.System, _systemPrompt)];
        messages.AddRange(Replayed(conversation.Messages).Select(m => new ChatMessage(m.Role == "assistant" ? ChatRole.Assistant : ChatRole.User, m.Text)));
        messages.Add(new ChatMessage(ChatRole.User, question));

        var client = Client();
        var tools = Tools();
        ChatResponse response;
        using (var budget = new CancellationTokenSource(_answerTimeout, Context.Time))
        {
            try
            {
                response = await client.GetResponseAsync(messages, new ChatOptions { ModelId = _model, Tools = tools.Count > 0 ? tools : null }, budget.Token);
            }
            catch (OperationCanceledException error) when (budget.IsCancellationRequested)
            {
                throw new LlmException(
                    $"{Context.Id} could not answer within {_answerTimeout.TotalSeconds:0.###} s (answerTimeout; at most 110 s, as an ask waits 2 minutes): the model, " +
                    $"its retries and up to {_maxToolRounds} tool round(s) took longer. Use a faster model, lower the provider's RequestTimeout and MaxRetries, or maxToolRounds.",
                    error);
            }
        }

        var text = response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant)?.Text ?? response.Text;
        var toolCalls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.Name).ToList();
        var model = response.ModelId ?? _model ?? client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "unknown";

        conversation.Messages.Add(new LlmMessage("user", question));
        conversation.Messages.Add(new LlmMessage("assistant", text));
        if (conversation.Messages.Count > KeptMessages)
        {
            conversation.Messages.RemoveRange(0, conversation.Messages.Count - KeptMessages);
        }

        conversation.LastUsed = Context.Time.GetUtcNow();
        State.Conversations[conversationId] = conversation;
        foreach (var stale in State.Conversations.OrderByDescending(c => c.Value.LastUsed).Skip(KeptConversations).Select(c => c.Key).ToList())
        {
            State.Conversations.Remove(stale);
        }

        State.Answered++;
        LogAnswered(Context.Logger, Context.Id, conversationId, model, toolCalls.Count);
        return new LlmAnswer(text, toolCalls, model, response.FinishReason?.Value);
    }

    private IChatClient Client() =>
        _client ??= new ToolCallingChatClient(Context.Services.GetRequiredService<ILlmProviders>().Get(_provider), _maxToolRounds, Context.Logger);

    private IList<AITool> Tools()
    {
        if (_tools is not null)
        {
            return _tools;
        }

        var capabilities = Context.Services.GetRequiredService<AgentCapabilities>();
        var tools = new List<AITool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in _toolTypes)
        {
            var capability = capabilities.Find(type)
                ?? throw new InvalidOperationException($"Agent {Context.Id} lists '{type}' as a tool, but there is no such agent type (known: {string.Join(", ", capabilities.All.Select(c => c.Type))}).");
            foreach (var (request, description) in capability.Requests.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                var tool = new AgentRequestTool(type, request, description, (agent, name, body) => Context.AskAsync(agent, name, body));
                if (names.Add(tool.Name))
                {
                    tools.Add(tool);
                }
                else
                {
                    // Function names allow only letters, digits, '_' and '-' and 64 characters, so two requests can come out alike.
                    LogToolNameTaken(Context.Logger, Context.Id, type, request, tool.Name);
                }
            }
        }

        return _tools = tools;
    }

    private static LlmQuestion ReadQuestion(JsonElement body)
    {
        try
        {
            return body.Deserialize<LlmQuestion>(SignalJson.Options) ?? new LlmQuestion(null);
        }
        catch (JsonException ex)
        {
            throw new AgentRequestException($"The body of this request is not {{ question, conversation }}: {ex.Message}", ex);
        }
    }

    private static string ConversationOf(JsonElement body)
    {
        var id = body.ValueKind switch
        {
            JsonValueKind.Object => ReadQuestion(body).Conversation,
            JsonValueKind.String => body.GetString(),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(id))
        {
            return DefaultConversation;
        }

        return id.Length <= MaxConversationIdLength
            ? id
            : throw new AgentRequestException($"A conversation id may have at most {MaxConversationIdLength} characters (got {id.Length}).");
    }

    [LoggerMessage(4320, LogLevel.Debug, "LLM agent {Agent} answered in conversation {Conversation} with model {Model} after {ToolCalls} tool call(s)")]
    private static partial void LogAnswered(ILogger logger, AgentId agent, string conversation, string model, int toolCalls);

    [LoggerMessage(4322, LogLevel.Warning, "LLM agent {Agent} cannot offer request '{Request}' of agent type '{Type}' as a tool: its function name {Function} is already taken by another request (names keep letters, digits, '_' and '-', and 64 characters); rename one of the requests")]
    private static partial void LogToolNameTaken(ILogger logger, AgentId agent, string type, string request, string function);

    [LoggerMessage(4321, LogLevel.Debug, "LLM agent {Agent} ignored signal {SignalId} on its own replies topic {Topic}")]
    private static partial void LogOwnReplyIgnored(ILogger logger, AgentId agent, string signalId, string topic);
}
