using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

/// <summary>Writing a chat-completions request (the format is described in OpenAiWire.cs).</summary>
internal static partial class OpenAiWire
{
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
}
