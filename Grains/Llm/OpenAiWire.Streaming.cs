using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agents.Llm;

/// <summary>Reading a streamed completion (the format is described in OpenAiWire.cs).</summary>
internal static partial class OpenAiWire
{
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
        /// <exception cref="FormatException">The chunk, or its first choice, is not a JSON object.</exception>
        public ChatResponseUpdate? Apply(JsonElement chunk)
        {
            if (chunk.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"a stream chunk is a JSON object, not {chunk.ValueKind}");
            }

            _responseId ??= String(chunk, "id");
            _modelId ??= String(chunk, "model");
            _createdAt ??= Created(chunk);
            _usage = OpenAiWire.Usage(chunk) ?? _usage;

            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                return null;
            }

            var choice = choices[0];
            if (choice.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"choices[0] is a JSON object, not {choice.ValueKind}");
            }

            var finishReason = OpenAiWire.FinishReason(String(choice, "finish_reason"));
            _finishReason = finishReason ?? _finishReason;
            var contents = new List<AIContent>();
            if (Object(choice, "delta") is { } delta)
            {
                AddTextContents(delta, contents);

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

                contents.Add(CreateCall(call.Id ?? SubstituteCallId(index), call.Name, call.Arguments.ToString()));
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
