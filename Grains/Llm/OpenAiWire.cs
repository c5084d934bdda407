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
 *   Only choices[0] is read ("n" is never sent). A tool call without an id gets "call_{index}_{unique}". Arguments that are not a JSON
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
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

/// <summary>The OpenAI chat-completions wire format; see the notes above. Split by concern: Request, Response, Streaming.</summary>
internal static partial class OpenAiWire
{
    /// <summary>Compact JSON for values we do not know the shape of (arguments, results, additional properties).</summary>
    private static readonly JsonSerializerOptions Json = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly HashSet<string> WrittenFields = new(StringComparer.Ordinal)
    {
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "temperature", "max_tokens", "top_p", "top_k",
        "frequency_penalty", "presence_penalty", "seed", "stop", "response_format", "stream",
    };
}
