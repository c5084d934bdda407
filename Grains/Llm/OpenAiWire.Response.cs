using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

/// <summary>Reading a chat-completions response and errors (the format is described in OpenAiWire.cs).</summary>
internal static partial class OpenAiWire
{
    /// <summary>Reads a chat completion; throws <see cref="FormatException"/> saying what is missing when it is not one.</summary>
    public static ChatResponse ReadResponse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the body is not a JSON object");
        }

        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("the body has no \"choices\" array");
        }

        if (choices.GetArrayLength() == 0)
        {
            throw new FormatException("\"choices\" is empty");
        }

        var choice = choices[0];
        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("message", out var wireMessage) || wireMessage.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("choices[0] has no \"message\" object");
        }

        var contents = new List<AIContent>();
        AddTextContents(wireMessage, contents);

        if (wireMessage.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var toolCall in toolCalls.EnumerateArray())
            {
                var function = Object(toolCall, "function");
                var name = function is { } f ? String(f, "name") : null;
                if (name is null)
                {
                    throw new FormatException($"tool_calls[{index}] has no function name");
                }

                var arguments = function is { } g && g.TryGetProperty("arguments", out var a) ? ArgumentsText(a) : "";
                contents.Add(CreateCall(String(toolCall, "id") ?? SubstituteCallId(index), name, arguments));
                index++;
            }
        }

        var id = String(root, "id");
        var message = new ChatMessage(ChatRole.Assistant, contents) { MessageId = id };
        return new ChatResponse(message)
        {
            ResponseId = id,
            ModelId = String(root, "model"),
            CreatedAt = Created(root),
            FinishReason = FinishReason(String(choice, "finish_reason")),
            Usage = Usage(root),
            RawRepresentation = root.Clone(),
        };
    }

    /// <summary>Adds the reasoning and the text of a message (or a streamed delta) to <paramref name="contents"/>, in that order.</summary>
    private static void AddTextContents(JsonElement message, List<AIContent> contents)
    {
        var reasoning = String(message, "reasoning_content") ?? String(message, "reasoning");
        if (!string.IsNullOrEmpty(reasoning))
        {
            contents.Add(new TextReasoningContent(reasoning));
        }

        var text = ContentText(message);
        if (!string.IsNullOrEmpty(text))
        {
            contents.Add(new TextContent(text));
        }
    }

    /// <summary>The server's own error message from an error body, or null when the body has none of the known shapes.</summary>
    public static string? ErrorMessage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                return error.GetString();
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                var message = String(error, "message");
                var code = error.TryGetProperty("code", out var c) && c.ValueKind is JsonValueKind.String or JsonValueKind.Number ? c.ToString() : null;
                return code is null || message is null ? message ?? error.GetRawText() : $"{message} (code {code})";
            }
        }

        return String(root, "message") ?? String(root, "detail");
    }

    /// <summary>A chunk of a stream that is an error instead of a completion chunk.</summary>
    public static bool IsError(JsonElement chunk) =>
        chunk.ValueKind == JsonValueKind.Object && chunk.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String;

    private static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            text.Append(String(part, "text"));
        }

        return text.ToString();
    }

    private static string ArgumentsText(JsonElement arguments) => arguments.ValueKind switch
    {
        JsonValueKind.String => arguments.GetString() ?? "",
        JsonValueKind.Object => arguments.GetRawText(),
        _ => "",
    };

    private static FunctionCallContent CreateCall(string callId, string name, string arguments) =>
        FunctionCallContent.CreateFromParsedArguments(arguments, callId, name, ParseArguments);

    /// <summary>A tool call's argument text as a dictionary of JSON values; empty text means no arguments.</summary>
    internal static Dictionary<string, object?> ParseArguments(string arguments)
    {
        var parsed = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return parsed;
        }

        using var document = JsonDocument.Parse(arguments);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"the arguments are a JSON {document.RootElement.ValueKind}, not an object");
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            parsed[property.Name] = property.Value.Clone();
        }

        return parsed;
    }

    private static ChatFinishReason? FinishReason(string? value) => value switch
    {
        null or "" => null,
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
        "content_filter" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(value),
    };

    private static DateTimeOffset? Created(JsonElement root) =>
        Long(root, "created") is long seconds && seconds > 0 && seconds < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private static UsageDetails? Usage(JsonElement root)
    {
        if (Object(root, "usage") is not { } usage)
        {
            return null;
        }

        return new UsageDetails
        {
            InputTokenCount = Long(usage, "prompt_tokens"),
            OutputTokenCount = Long(usage, "completion_tokens"),
            TotalTokenCount = Long(usage, "total_tokens"),
            CachedInputTokenCount = Object(usage, "prompt_tokens_details") is { } input ? Long(input, "cached_tokens") : null,
            ReasoningTokenCount = Object(usage, "completion_tokens_details") is { } output ? Long(output, "reasoning_tokens") : null,
        };
    }

    /// <summary>
    /// An id for a tool call the server sent without one: unique (a later round's call_0 must not pass for this one when the
    /// history is replayed, or a strict server refuses a tool call with no answer), and shaped like the ids servers give.
    /// </summary>
    internal static string SubstituteCallId(int index) => $"call_{index}_{Guid.NewGuid():N}";

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static JsonElement? Object(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;
}
