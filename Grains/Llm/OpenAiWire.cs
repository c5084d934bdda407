/*
 * OpenAI Chat Completions wire format: the subset OpenAiCompatibleChatClient speaks. OpenAI, Azure OpenAI,
 * Ollama (/v1) and vLLM all accept it.
 *
 * REQUEST  POST {endpoint}, Content-Type: application/json (UTF-8, non-ASCII text not escaped)
 *   { "model": ChatOptions.ModelId ?? OpenAiCompatibleOptions.Model,
 *     "messages": [ ChatOptions.Instructions as a first system message, then the conversation ],
 *     "tools": [ {"type":"function","function":{"name","description"?,"parameters": JSON schema}} ]?
 *                 from ChatOptions.Tools, every AIFunctionDeclaration (so AIFunction too); other tool kinds are not sent,
 *     "tool_choice": "none" | "auto" | "required" | {"type":"function","function":{"name"}}   ChatOptions.ToolMode, only with tools,
 *     "parallel_tool_calls": bool                                                          ChatOptions.AllowMultipleToolCalls, only with tools,
 *     "temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty", "seed", "stop": [..],
 *     "top_k" (not OpenAI; vLLM accepts it; sent only when ChatOptions.TopK is set),
 *     "response_format": {"type":"json_object"} | {"type":"json_schema","json_schema":{"name","description"?,"schema"}},
 *     "stream": true   (streaming only; stream_options is not sent because not every server knows it),
 *     ...ChatOptions.AdditionalProperties as extra top-level fields, except names listed above }
 *   Only fields whose ChatOptions value is set are written.
 *
 * MESSAGES (ChatMessage -> wire messages, in order)
 *   system / user / other roles: {"role": role, "content": concatenated TextContent}
 *   assistant: {"role":"assistant","content": text, or null when it has tool calls and no text,
 *               "tool_calls": [{"id": CallId,"type":"function","function":{"name","arguments": JSON object as a string}}]?}
 *   every FunctionResultContent, whatever the message's role: {"role":"tool","tool_call_id": CallId,"content": result text}
 *   Content kinds other than text, function calls and function results (images, files, reasoning) are not sent.
 *   Invariants:
 *   - Every tool_calls[].id sent is answered by a tool message later in the request. A call without a result anywhere in the
 *     conversation (left over when ToolCallingChatClient ran out of rounds, say) is dropped: OpenAI rejects the whole request
 *     otherwise; an assistant message left with no text and no calls is not sent. A message's tool results follow its
 *     tool_calls when both are in one message, and precede its text otherwise.
 *   - "arguments" is always a JSON object text: "{}" when there are none.
 *   - A result's text: a string as is, a JSON string value unquoted, null as "null", anything else as compact JSON; a result
 *     that is null with an Exception is "Error: {message}".
 *
 * RESPONSE (non-streaming)
 *   { "id", "model", "created": unix seconds,
 *     "choices": [{"index":0,"message":{"role":"assistant","content": string | null | [{"type":"text","text"}],
 *                  "reasoning_content" | "reasoning": string (vLLM, Ollama; optional),
 *                  "tool_calls": [{"id","type":"function","function":{"name","arguments": JSON string (an object from some Ollama builds)}}]},
 *                  "finish_reason": "stop" | "length" | "tool_calls" | "function_call" | "content_filter" | other}],
 *     "usage": {"prompt_tokens","completion_tokens","total_tokens","prompt_tokens_details":{"cached_tokens"},"completion_tokens_details":{"reasoning_tokens"}} }
 *   -> ChatResponse with one assistant message: TextReasoningContent, TextContent, then one FunctionCallContent per tool call
 *      in order; ResponseId = MessageId = id, ModelId = model, CreatedAt = created, FinishReason, Usage, RawRepresentation = the JSON.
 *   Only choices[0] is read ("n" is never sent). A tool call without an id gets "call_{index}". Arguments that are not a JSON
 *   object give a FunctionCallContent whose Exception says why (ToolCallingChatClient sends that back to the model).
 *
 * STREAMING (text/event-stream: "data: {chunk}" events separated by blank lines, ending with "data: [DONE]")
 *   chunk = {"id","model","created","choices":[{"index":0,"delta":{"role","content","reasoning_content","tool_calls":[{"index","id","function":{"name","arguments"}}]},
 *            "finish_reason"}],"usage"}, every field optional.
 *   Text and reasoning deltas become one update each as they arrive. Tool-call fragments accumulate by index (id and name from
 *   the first fragment that has them, argument text appended) and become FunctionCallContent in one final update, together with
 *   usage when the server sends it. Every update carries ResponseId = MessageId = the chunk id, so ToChatResponse folds them
 *   into one message. A chunk {"error":{...}} fails the stream (the client turns it into an LlmException).
 *
 * ERRORS  {"error":{"message","type","code"}} (OpenAI, Azure, vLLM), {"error":"text"} (Ollama), {"message"} or {"detail"} (others).
 */
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

internal static class OpenAiWire
{
    /// <summary>Compact JSON for values we do not know the shape of (arguments, results, additional properties).</summary>
    private static readonly JsonSerializerOptions Json = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly HashSet<string> WrittenFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "temperature", "max_tokens", "top_p", "top_k",
        "frequency_penalty", "presence_penalty", "seed", "stop", "response_format", "stream",
    };

    // ---- request ----------------------------------------------------------------------------------------------

    public static byte[] WriteRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, string defaultModel, bool stream)
    {
        var conversation = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in conversation)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionResultContent { CallId: { } id })
                {
                    answered.Add(id);
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        using var w = new Utf8JsonWriter(buffer, WriterOptions);
        w.WriteStartObject();
        w.WriteString("model", string.IsNullOrWhiteSpace(options?.ModelId) ? defaultModel : options.ModelId);

        w.WriteStartArray("messages");
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            WriteTextMessage(w, "system", options.Instructions);
        }

        foreach (var message in conversation)
        {
            WriteMessage(w, message, answered);
        }

        w.WriteEndArray();

        if (options is not null)
        {
            WriteTools(w, options);
            WriteSampling(w, options);
            WriteAdditionalProperties(w, options);
        }

        if (stream)
        {
            w.WriteBoolean("stream", true);
        }

        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTextMessage(Utf8JsonWriter w, string role, string text)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteString("content", text);
        w.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter w, ChatMessage message, HashSet<string> answered)
    {
        List<FunctionCallContent>? calls = null;
        List<FunctionResultContent>? results = null;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case FunctionCallContent call when call.CallId is not null && answered.Contains(call.CallId):
                    (calls ??= []).Add(call);
                    break;
                case FunctionResultContent result:
                    (results ??= []).Add(result);
                    break;
            }
        }

        var text = message.Text;
        var role = message.Role.Value;
        if (calls is not null)
        {
            WriteAssistantMessage(w, text, calls);
            WriteToolMessages(w, results);
            return;
        }

        WriteToolMessages(w, results);
        if (results is not null && text.Length == 0)
        {
            return;
        }

        if (message.Role == ChatRole.Tool && results is not null)
        {
            return; // a tool message's stray text has no wire form once its results are written
        }

        if (message.Role == ChatRole.Assistant && text.Length == 0)
        {
            return; // nothing left to say, e.g. only tool calls that were never answered
        }

        WriteTextMessage(w, role, text);
    }

    private static void WriteAssistantMessage(Utf8JsonWriter w, string text, List<FunctionCallContent> calls)
    {
        w.WriteStartObject();
        w.WriteString("role", "assistant");
        if (text.Length == 0)
        {
            w.WriteNull("content");
        }
        else
        {
            w.WriteString("content", text);
        }

        w.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            w.WriteStartObject();
            w.WriteString("id", call.CallId);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, Json));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteToolMessages(Utf8JsonWriter w, List<FunctionResultContent>? results)
    {
        if (results is null)
        {
            return;
        }

        foreach (var result in results)
        {
            w.WriteStartObject();
            w.WriteString("role", "tool");
            w.WriteString("tool_call_id", result.CallId);
            w.WriteString("content", ResultText(result));
            w.WriteEndObject();
        }
    }

    /// <summary>A tool result as the text the model reads (see the wire notes).</summary>
    public static string ResultText(FunctionResultContent result) => result.Result switch
    {
        null when result.Exception is not null => "Error: " + result.Exception.Message,
        null => "null",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
        JsonElement e => e.GetRawText(),
        _ => JsonSerializer.Serialize(result.Result, Json),
    };

    private static void WriteTools(Utf8JsonWriter w, ChatOptions options)
    {
        var declarations = options.Tools?.OfType<AIFunctionDeclaration>().ToList();
        if (declarations is not { Count: > 0 })
        {
            return;
        }

        w.WriteStartArray("tools");
        foreach (var declaration in declarations)
        {
            w.WriteStartObject();
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", declaration.Name);
            if (!string.IsNullOrEmpty(declaration.Description))
            {
                w.WriteString("description", declaration.Description);
            }

            w.WritePropertyName("parameters");
            if (declaration.JsonSchema.ValueKind == JsonValueKind.Object)
            {
                declaration.JsonSchema.WriteTo(w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("type", "object");
                w.WriteStartObject("properties");
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();

        switch (options.ToolMode)
        {
            case NoneChatToolMode:
                w.WriteString("tool_choice", "none");
                break;
            case AutoChatToolMode:
                w.WriteString("tool_choice", "auto");
                break;
            case RequiredChatToolMode { RequiredFunctionName: null }:
                w.WriteString("tool_choice", "required");
                break;
            case RequiredChatToolMode required:
                w.WriteStartObject("tool_choice");
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", required.RequiredFunctionName);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
        }

        if (options.AllowMultipleToolCalls is bool parallel)
        {
            w.WriteBoolean("parallel_tool_calls", parallel);
        }
    }

    private static void WriteSampling(Utf8JsonWriter w, ChatOptions options)
    {
        if (options.Temperature is float temperature)
        {
            w.WriteNumber("temperature", temperature);
        }

        if (options.MaxOutputTokens is int maxTokens)
        {
            w.WriteNumber("max_tokens", maxTokens);
        }

        if (options.TopP is float topP)
        {
            w.WriteNumber("top_p", topP);
        }

        if (options.TopK is int topK)
        {
            w.WriteNumber("top_k", topK);
        }

        if (options.FrequencyPenalty is float frequencyPenalty)
        {
            w.WriteNumber("frequency_penalty", frequencyPenalty);
        }

        if (options.PresencePenalty is float presencePenalty)
        {
            w.WriteNumber("presence_penalty", presencePenalty);
        }

        if (options.Seed is long seed)
        {
            w.WriteNumber("seed", seed);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            w.WriteStartArray("stop");
            foreach (var stop in stops)
            {
                w.WriteStringValue(stop);
            }

            w.WriteEndArray();
        }

        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            w.WriteStartObject("response_format");
            if (json.Schema is { } schema)
            {
                w.WriteString("type", "json_schema");
                w.WriteStartObject("json_schema");
                w.WriteString("name", string.IsNullOrEmpty(json.SchemaName) ? "response" : json.SchemaName);
                if (!string.IsNullOrEmpty(json.SchemaDescription))
                {
                    w.WriteString("description", json.SchemaDescription);
                }

                w.WritePropertyName("schema");
                schema.WriteTo(w);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("type", "json_object");
            }

            w.WriteEndObject();
        }
    }

    private static void WriteAdditionalProperties(Utf8JsonWriter w, ChatOptions options)
    {
        if (options.AdditionalProperties is not { Count: > 0 } extra)
        {
            return;
        }

        foreach (var (name, value) in extra)
        {
            if (WrittenFields.Contains(name))
            {
                continue;
            }

            w.WritePropertyName(name);
            JsonSerializer.Serialize(w, value, Json);
        }
    }

    // ---- response -------------------------------------------------------------------------------------------

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
        if (!choice.TryGetProperty("message", out var wireMessage) || wireMessage.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("choices[0] has no \"message\" object");
        }

        var contents = new List<AIContent>();
        var reasoning = String(wireMessage, "reasoning_content") ?? String(wireMessage, "reasoning");
        if (!string.IsNullOrEmpty(reasoning))
        {
            contents.Add(new TextReasoningContent(reasoning));
        }

        var text = ContentText(wireMessage);
        if (!string.IsNullOrEmpty(text))
        {
            contents.Add(new TextContent(text));
        }

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
                contents.Add(CreateCall(String(toolCall, "id") ?? $"call_{index}", name, arguments));
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

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static JsonElement? Object(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    // ---- streaming ------------------------------------------------------------------------------------------

    /// <summary>The state of one streamed completion: what the chunks so far said, and the tool calls being assembled.</summary>
    internal sealed class StreamState
    {
        private readonly SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)> _calls = [];
        private string? _responseId;
        private string? _modelId;
        private DateTimeOffset? _createdAt;
        private ChatFinishReason? _finishReason;
        private UsageDetails? _usage;

        public ChatFinishReason? FinishReason => _finishReason;

        public UsageDetails? Usage => _usage;

        /// <summary>Takes in one chunk; returns the update to yield for it, or null when it only fed the state.</summary>
        public ChatResponseUpdate? Apply(JsonElement chunk)
        {
            _responseId ??= String(chunk, "id");
            _modelId ??= String(chunk, "model");
            _createdAt ??= Created(chunk);
            _usage = OpenAiWire.Usage(chunk) ?? _usage;

            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return null;
            }

            var choice = choices[0];
            var finishReason = OpenAiWire.FinishReason(String(choice, "finish_reason"));
            _finishReason = finishReason ?? _finishReason;
            var contents = new List<AIContent>();
            if (Object(choice, "delta") is { } delta)
            {
                var reasoning = String(delta, "reasoning_content") ?? String(delta, "reasoning");
                if (!string.IsNullOrEmpty(reasoning))
                {
                    contents.Add(new TextReasoningContent(reasoning));
                }

                var text = ContentText(delta);
                if (!string.IsNullOrEmpty(text))
                {
                    contents.Add(new TextContent(text));
                }

                if (delta.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
                {
                    var position = 0;
                    foreach (var fragment in toolCalls.EnumerateArray())
                    {
                        var index = Long(fragment, "index") is long i ? (int)i : position;
                        var call = _calls.TryGetValue(index, out var existing) ? existing : (null, null, new StringBuilder());
                        call.Id ??= String(fragment, "id");
                        if (Object(fragment, "function") is { } function)
                        {
                            call.Name ??= String(function, "name");
                            if (function.TryGetProperty("arguments", out var arguments))
                            {
                                call.Arguments.Append(ArgumentsText(arguments));
                            }
                        }

                        _calls[index] = call;
                        position++;
                    }
                }
            }

            return contents.Count == 0 && finishReason is null ? null : NewUpdate(contents, finishReason);
        }

        /// <summary>The last update of the stream: the assembled tool calls and the usage, or null when there are neither.</summary>
        public ChatResponseUpdate? Complete()
        {
            var contents = new List<AIContent>();
            foreach (var (index, call) in _calls)
            {
                if (call.Name is null)
                {
                    throw new FormatException($"the streamed tool call {index} never got a function name");
                }

                contents.Add(CreateCall(call.Id ?? $"call_{index}", call.Name, call.Arguments.ToString()));
            }

            if (_usage is not null)
            {
                contents.Add(new UsageContent(_usage));
            }

            return contents.Count == 0 ? null : NewUpdate(contents, _finishReason);
        }

        private ChatResponseUpdate NewUpdate(List<AIContent> contents, ChatFinishReason? finishReason) => new(ChatRole.Assistant, contents)
        {
            ResponseId = _responseId,
            MessageId = _responseId,
            ModelId = _modelId,
            CreatedAt = _createdAt,
            FinishReason = finishReason,
        };
    }
}
