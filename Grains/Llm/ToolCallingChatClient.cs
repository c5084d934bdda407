/*
 * ToolCallingChatClient: runs the tools a model asks for and asks again, until the model answers without tool calls.
 * (Microsoft.Extensions.AI's FunctionInvokingChatClient is not available here; this is our own, smaller loop.)
 *
 * One round = the inner model answers with FunctionCallContent -> each call runs -> the assistant message(s) with the calls and
 * one Tool message holding a FunctionResultContent per call (same CallId, same order) are appended to the conversation -> the
 * model is asked again with the same ChatOptions.
 *
 * Invariants:
 * - The caller's message list is never modified; the loop works on a copy.
 * - The returned ChatResponse.Messages holds everything this call added to the conversation, in order: each round's assistant
 *   message(s) with calls, each round's Tool message, then the final answer's message(s). Appending them to the history gives
 *   a conversation the model accepts. Usage is summed over all rounds; ResponseId, ModelId, FinishReason are the last answer's.
 * - Every call runs to a result: an unknown tool name, arguments the provider could not parse, or a tool that throws becomes an
 *   "Error: ..." text result (with FunctionResultContent.Exception set) so the model can recover; each is logged. Only the
 *   caller's cancellation stops the loop (OperationCanceledException).
 * - Calls run one at a time, in the order the model gave them (deterministic; tools may share state).
 * - At most MaxToolRounds rounds run. When the model still asks for tools after that, its last response is returned with its
 *   calls not run, a note appended as text to its last message, and AdditionalProperties["agents.toolRoundsExhausted"] = true.
 * - Pass-through: when ChatOptions.Tools holds no AIFunction, or a call names a declaration-only tool (AIFunctionDeclaration that
 *   is not an AIFunction, i.e. the caller runs it), the model's response is returned as is for the caller to handle.
 * - Streaming: inner updates are yielded as they come; after each round's tools ran, one update with role Tool carrying the
 *   results is yielded (MessageId "tool-results-{round}"), then the next round's updates.
 */
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Llm;

/// <summary>
/// Wraps an <see cref="IChatClient"/> so that the <see cref="AIFunction"/> tools offered in <see cref="ChatOptions.Tools"/> are
/// run when the model calls them, and the model is asked again with their results, for up to <see cref="MaxToolRounds"/> rounds.
/// </summary>
public sealed partial class ToolCallingChatClient : DelegatingChatClient
{
    /// <summary>The default <see cref="MaxToolRounds"/>.</summary>
    public const int DefaultMaxToolRounds = 4;

    /// <summary>The key in <see cref="ChatResponse.AdditionalProperties"/> set to true when the rounds ran out.</summary>
    public const string ToolRoundsExhaustedProperty = "agents.toolRoundsExhausted";

    private readonly ILogger _logger;

    /// <param name="innerClient">The model.</param>
    /// <param name="maxToolRounds">How many rounds of tool calls one request may run (0 runs none).</param>
    /// <param name="logger">Where failing and unknown tools are reported.</param>
    public ToolCallingChatClient(IChatClient innerClient, int maxToolRounds = DefaultMaxToolRounds, ILogger? logger = null)
        : base(innerClient)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxToolRounds);
        MaxToolRounds = maxToolRounds;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many rounds of tool calls one request may run.</summary>
    public int MaxToolRounds { get; }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var functions = FunctionsOf(options);
        var history = messages.ToList();
        var added = new List<ChatMessage>();
        UsageDetails? usage = null;
        for (var round = 0; ; round++)
        {
            var response = await base.GetResponseAsync(history, options, cancellationToken);
            usage = Sum(usage, response.Usage);
            var calls = CallsToRun(response.Messages, options, functions);
            if (calls is null)
            {
                return Finish(response, added, usage);
            }

            if (round >= MaxToolRounds)
            {
                LogRoundsExhausted(_logger, MaxToolRounds, calls.Count);
                var last = response.Messages.Count > 0 ? response.Messages[^1] : null;
                if (last is null)
                {
                    response.Messages.Add(last = new ChatMessage(ChatRole.Assistant, []));
                }

                last.Contents.Add(new TextContent(ExhaustedNote(calls)));
                (response.AdditionalProperties ??= [])[ToolRoundsExhaustedProperty] = true;
                return Finish(response, added, usage);
            }

            history.AddRange(response.Messages);
            added.AddRange(response.Messages);
            var toolMessage = new ChatMessage(ChatRole.Tool, await RunAsync(calls, functions, cancellationToken));
            history.Add(toolMessage);
            added.Add(toolMessage);
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var functions = FunctionsOf(options);
        var history = messages.ToList();
        for (var round = 0; ; round++)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in base.GetStreamingResponseAsync(history, options, cancellationToken))
            {
                updates.Add(update);
                yield return update;
            }

            var response = updates.ToChatResponse();
            var calls = CallsToRun(response.Messages, options, functions);
            if (calls is null)
            {
                yield break;
            }

            if (round >= MaxToolRounds)
            {
                LogRoundsExhausted(_logger, MaxToolRounds, calls.Count);
                yield return new ChatResponseUpdate(ChatRole.Assistant, ExhaustedNote(calls))
                {
                    ResponseId = response.ResponseId,
                    MessageId = response.Messages.LastOrDefault()?.MessageId,
                    AdditionalProperties = new() { [ToolRoundsExhaustedProperty] = true },
                };
                yield break;
            }

            history.AddRange(response.Messages);
            var results = await RunAsync(calls, functions, cancellationToken);
            history.Add(new ChatMessage(ChatRole.Tool, results));
            yield return new ChatResponseUpdate(ChatRole.Tool, results) { MessageId = $"tool-results-{round}", ResponseId = response.ResponseId };
        }
    }

    private static Dictionary<string, AIFunction> FunctionsOf(ChatOptions? options)
    {
        var functions = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var function in options?.Tools?.OfType<AIFunction>() ?? [])
        {
            functions.TryAdd(function.Name, function);
        }

        return functions;
    }

    /// <summary>The calls to run, or null when the response goes back to the caller as it is (see the pass-through invariant).</summary>
    private static List<FunctionCallContent>? CallsToRun(IList<ChatMessage> messages, ChatOptions? options, Dictionary<string, AIFunction> functions)
    {
        var calls = messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Where(c => !c.InformationalOnly).ToList();
        if (calls.Count == 0 || functions.Count == 0)
        {
            return null;
        }

        var declaredOnly = options?.Tools?.OfType<AIFunctionDeclaration>().Where(d => d is not AIFunction).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        return declaredOnly is { Count: > 0 } && calls.Any(c => declaredOnly.Contains(c.Name) && !functions.ContainsKey(c.Name)) ? null : calls;
    }

    private async Task<List<AIContent>> RunAsync(List<FunctionCallContent> calls, Dictionary<string, AIFunction> functions, CancellationToken cancellationToken)
    {
        var results = new List<AIContent>(calls.Count);
        foreach (var call in calls)
        {
            results.Add(await RunAsync(call, functions, cancellationToken));
        }

        return results;
    }

    private async Task<FunctionResultContent> RunAsync(FunctionCallContent call, Dictionary<string, AIFunction> functions, CancellationToken cancellationToken)
    {
        if (call.Exception is { } unreadable)
        {
            LogUnreadableArguments(_logger, call.Name, call.CallId, unreadable);
            return new FunctionResultContent(call.CallId, $"Error: the arguments for tool '{call.Name}' could not be read ({unreadable.Message}). Send a JSON object.")
            {
                Exception = unreadable,
            };
        }

        if (!functions.TryGetValue(call.Name, out var function))
        {
            LogUnknownTool(_logger, call.Name, call.CallId);
            return new FunctionResultContent(call.CallId, $"Error: there is no tool named '{call.Name}'. The tools are: {string.Join(", ", functions.Keys)}.");
        }

        try
        {
            LogRunning(_logger, call.Name, call.CallId);
            var arguments = call.Arguments is null ? new AIFunctionArguments() : new AIFunctionArguments(call.Arguments);
            return new FunctionResultContent(call.CallId, await function.InvokeAsync(arguments, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LogToolFailed(_logger, call.Name, call.CallId, e);
            return new FunctionResultContent(call.CallId, $"Error: tool '{call.Name}' failed: {e.Message}") { Exception = e };
        }
    }

    private static ChatResponse Finish(ChatResponse last, List<ChatMessage> added, UsageDetails? usage)
    {
        if (added.Count > 0)
        {
            added.AddRange(last.Messages);
            last.Messages = added;
        }

        last.Usage = usage;
        return last;
    }

    private string ExhaustedNote(List<FunctionCallContent> calls) =>
        $"[tool rounds exhausted: after {MaxToolRounds} round(s) the model still asked for {string.Join(", ", calls.Select(c => c.Name).Distinct(StringComparer.Ordinal))}; those calls were not run]";

    private static UsageDetails? Sum(UsageDetails? total, UsageDetails? more)
    {
        if (total is null || more is null)
        {
            return total ?? more;
        }

        return new UsageDetails
        {
            InputTokenCount = Add(total.InputTokenCount, more.InputTokenCount),
            OutputTokenCount = Add(total.OutputTokenCount, more.OutputTokenCount),
            TotalTokenCount = Add(total.TotalTokenCount, more.TotalTokenCount),
            CachedInputTokenCount = Add(total.CachedInputTokenCount, more.CachedInputTokenCount),
            ReasoningTokenCount = Add(total.ReasoningTokenCount, more.ReasoningTokenCount),
        };
    }

    private static long? Add(long? a, long? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    [LoggerMessage(7110, LogLevel.Debug, "Running tool {Tool} (call {CallId})")]
    private static partial void LogRunning(ILogger logger, string tool, string callId);

    [LoggerMessage(7111, LogLevel.Warning, "Tool {Tool} (call {CallId}) failed; the error goes back to the model as the tool's result")]
    private static partial void LogToolFailed(ILogger logger, string tool, string callId, Exception exception);

    [LoggerMessage(7112, LogLevel.Warning, "The model called tool {Tool} (call {CallId}), which it was not offered; the error goes back to the model")]
    private static partial void LogUnknownTool(ILogger logger, string tool, string callId);

    [LoggerMessage(7113, LogLevel.Warning, "The model called tool {Tool} (call {CallId}) with arguments that could not be read; the error goes back to the model")]
    private static partial void LogUnreadableArguments(ILogger logger, string tool, string callId, Exception exception);

    [LoggerMessage(7114, LogLevel.Warning, "Tool rounds exhausted: after {Rounds} round(s) the model still asked for {Calls} tool call(s); returning its last response without running them")]
    private static partial void LogRoundsExhausted(ILogger logger, int rounds, int calls);
}
