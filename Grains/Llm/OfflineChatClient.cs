/*
 * OfflineChatClient: a deterministic stand-in for a model, for demos and tests. It does not understand anything and says so:
 * every reply starts with "[offline model]".
 *
 * Rules, applied to the conversation (the last user message is "the question"):
 * 1. Tool results after the question (FunctionResultContent in any message after it) -> one reply
 *    "[offline model] {tool} says: {result}" (several results joined with "; "), where {tool} is the name of the call with the
 *    result's CallId earlier in the conversation and {result} is the result as text (as the OpenAI client would send it).
 * 2. Else, when tools are offered (AIFunctionDeclaration in ChatOptions.Tools, ToolMode not None) and the question mentions one
 *    -> a tool call. "Mentions" (case-insensitive): the question contains the tool's name, or the name with '-' and '_' removed,
 *    or with them turned into spaces. The first offered tool that matches wins. The reply is "[offline model] Calling tool {name}."
 *    plus a FunctionCallContent with CallId "offline-call-{number of messages}" and arguments:
 *    a. when the tool's JSON schema has exactly one required property and it is a string, {that property: question};
 *    b. else, when the question names one or more of the schema's string properties followed by a value ("key A-17",
 *       "key: A-17", "key=A-17"; the value is a run of letters, digits and _ - . @ / starting with a letter or digit,
 *       trailing dots dropped, quotes around it allowed), those properties with those values, plus {"question": question}
 *       for every object-typed property (so a tool taking { key, body } gets its key from the text and the question as its
 *       body);
 *    c. otherwise {"question": question}.
 *    FinishReason ToolCalls.
 * 3. Else -> "[offline model] You said: {question}", the question cut to 500 characters (plus "…" when cut); no user message
 *    reads as an empty question.
 * Same conversation and options -> same reply (no clock, no randomness); ResponseId = MessageId = "offline-{number of messages}",
 * ModelId "offline", no usage. Streaming yields the same reply as updates.
 */
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

/// <summary>
/// A deterministic local "model" for demos and tests: it echoes the user, calls a tool the user names, and reports tool results.
/// Every reply starts with <see cref="ReplyPrefix"/> so no one mistakes it for a real model.
/// </summary>
public sealed class OfflineChatClient : IChatClient
{
    /// <summary>The model id this client reports.</summary>
    public const string ModelName = "offline";

    /// <summary>How every reply starts.</summary>
    public const string ReplyPrefix = "[offline model]";

    /// <summary>How much of the user's message an echo repeats.</summary>
    public const int MaxEchoLength = 500;

    private static readonly ChatClientMetadata Metadata = new("offline", null, ModelName);

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Answer(messages.ToList(), options));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ChatClientMetadata) ? Metadata : serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }

    private static ChatResponse Answer(List<ChatMessage> conversation, ChatOptions? options)
    {
        var id = $"offline-{conversation.Count}";
        var questionAt = conversation.FindLastIndex(m => m.Role == ChatRole.User);
        var question = questionAt >= 0 ? conversation[questionAt].Text : "";

        var results = conversation.Skip(questionAt + 1).SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
        if (results.Count > 0)
        {
            var names = conversation.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
                .GroupBy(c => c.CallId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Name, StringComparer.Ordinal);
            var said = results.Select(r => $"{(r.CallId is not null && names.TryGetValue(r.CallId, out var name) ? name : "the tool")} says: {OpenAiWire.ResultText(r)}");
            return Reply(id, [new TextContent($"{ReplyPrefix} {string.Join("; ", said)}")], ChatFinishReason.Stop);
        }

        if (options?.ToolMode is not NoneChatToolMode && MentionedTool(options?.Tools, question) is { } tool)
        {
            var call = new FunctionCallContent($"offline-call-{conversation.Count}", tool.Name, ArgumentsFor(tool, question));
            return Reply(id, [new TextContent($"{ReplyPrefix} Calling tool {tool.Name}."), call], ChatFinishReason.ToolCalls);
        }

        return Reply(id, [new TextContent($"{ReplyPrefix} You said: {Truncate(question)}")], ChatFinishReason.Stop);
    }

    private static ChatResponse Reply(string id, List<AIContent> contents, ChatFinishReason finishReason) =>
        new(new ChatMessage(ChatRole.Assistant, contents) { MessageId = id })
        {
            ResponseId = id,
            ModelId = ModelName,
            FinishReason = finishReason,
        };

    private static AIFunctionDeclaration? MentionedTool(IList<AITool>? tools, string question)
    {
        if (tools is null || question.Length == 0)
        {
            return null;
        }

        foreach (var tool in tools.OfType<AIFunctionDeclaration>())
        {
            if (string.IsNullOrWhiteSpace(tool.Name))
            {
                continue;
            }

            var joined = tool.Name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            var spaced = tool.Name.Replace('-', ' ').Replace('_', ' ');
            if (Mentions(question, tool.Name) || Mentions(question, joined) || Mentions(question, spaced))
            {
                return tool;
            }
        }

        return null;
    }

    private static bool Mentions(string text, string name) => name.Length > 0 && text.Contains(name, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, object?> ArgumentsFor(AIFunctionDeclaration tool, string question)
    {
        var schema = tool.JsonSchema;
        if (schema.ValueKind == JsonValueKind.Object
            && schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array && required.GetArrayLength() == 1
            && required[0].ValueKind == JsonValueKind.String && required[0].GetString() is { } name
            && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty(name, out var property) && IsString(property))
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal) { [name] = question };
        }

        if (NamedArguments(schema, question) is { } named)
        {
            return named;
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal) { ["question"] = question };
    }

    /// <summary>Rule 2b: the string properties the question names with a value, plus the question for object properties; null when it names none.</summary>
    private static Dictionary<string, object?>? NamedArguments(JsonElement schema, string question)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in properties.EnumerateObject())
        {
            if (IsString(property.Value) && ValueNamed(question, property.Name) is { } value)
            {
                arguments[property.Name] = value;
            }
        }

        if (arguments.Count == 0)
        {
            return null;
        }

        foreach (var property in properties.EnumerateObject())
        {
            if (IsOfType(property.Value, "object"))
            {
                arguments[property.Name] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["question"] = question };
            }
        }

        return arguments;
    }

    /// <summary>The value written after the word <paramref name="name"/> in <paramref name="text"/> ("key A-17", "key: A-17", "key=A-17").</summary>
    private static string? ValueNamed(string text, string name)
    {
        var match = Regex.Match(
            text,
            $@"(?<![\p{{L}}\p{{N}}_]){Regex.Escape(name)}\s*(?:[:=]\s*|\s+)[""']?(?<value>[\p{{L}}\p{{N}}][\p{{L}}\p{{N}}_\-.@/]*)",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));
        return match.Success ? match.Groups["value"].Value.TrimEnd('.') is { Length: > 0 } value ? value : null : null;
    }

    private static bool IsString(JsonElement property) => IsOfType(property, "string");

    private static bool IsOfType(JsonElement property, string kind)
    {
        if (property.ValueKind != JsonValueKind.Object || !property.TryGetProperty("type", out var type))
        {
            return false;
        }

        return type.ValueKind switch
        {
            JsonValueKind.String => type.ValueEquals(kind),
            JsonValueKind.Array => type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.ValueEquals(kind)),
            _ => false,
        };
    }

    private static string Truncate(string text)
    {
        if (text.Length <= MaxEchoLength)
        {
            return text;
        }

        var cut = char.IsHighSurrogate(text[MaxEchoLength - 1]) ? MaxEchoLength - 1 : MaxEchoLength;
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
