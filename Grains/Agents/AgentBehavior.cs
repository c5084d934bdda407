using System.Text.Json;
using Agents.Signals;

namespace Agents.Agents;

/// <summary>
/// What an agent type does: the signals it handles (by topic pattern) and the requests it answers
/// (by name). Built once per activation by <see cref="Agent.Configure"/>; also what the cluster's
/// capability registry reports.
/// </summary>
public sealed class AgentBehavior
{
    private readonly List<(TopicPattern Pattern, Func<Signal, Task> Handler)> _handlers = [];
    private readonly Dictionary<string, RequestHandler> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<AgentReminderTick, Task>> _reminders = new(StringComparer.Ordinal);

    /// <summary>Handles signals whose topic matches <paramref name="topicPattern"/> with the payload as <typeparamref name="T"/>.</summary>
    public AgentBehavior On<T>(string topicPattern, Func<T, Signal, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(topicPattern, signal =>
        {
            T data;
            try
            {
                data = JsonSerializer.Deserialize<T>(signal.Data, SignalJson.Options)!;
            }
            catch (JsonException ex)
            {
                throw new SignalDataException($"The data of signal {signal.Id} on {signal.Topic} is not a {typeof(T).Name}: {ex.Message}", ex);
            }

            return handler(data, signal);
        });
    }

    /// <summary>Handles signals whose topic matches <paramref name="topicPattern"/>.</summary>
    public AgentBehavior On(string topicPattern, Func<Signal, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add((TopicPattern.Parse(topicPattern), handler));
        _lastTopic = null;
        _lastHandler = null;
        return this;
    }

    /// <summary>Answers the request <paramref name="name"/>: a JSON <typeparamref name="TRequest"/> in, a <typeparamref name="TReply"/> out.</summary>
    public AgentBehavior Answer<TRequest, TReply>(string name, Func<TRequest, Task<TReply>> handler, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Answer(name, async body =>
        {
            TRequest request;
            try
            {
                request = body.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null && default(TRequest) is null
                    ? default!
                    : body.Deserialize<TRequest>(SignalJson.Options)!;
            }
            catch (JsonException ex)
            {
                throw new AgentRequestException($"The body of request '{name}' is not a {typeof(TRequest).Name}: {ex.Message}", ex);
            }

            var reply = await handler(request).ConfigureAwait(true);
            return JsonSerializer.SerializeToElement(reply, SignalJson.Options);
        }, description, typeof(TRequest));
    }

    /// <summary>Answers the request <paramref name="name"/> with raw JSON in and out.</summary>
    public AgentBehavior Answer(string name, Func<JsonElement, Task<JsonElement>> handler, string? description = null, Type? requestType = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_requests.TryAdd(name, new RequestHandler(handler, description, requestType)))
        {
            throw new ArgumentException($"The request '{name}' is answered twice.", nameof(name));
        }

        return this;
    }

    /// <summary>
    /// Handles the ticks of the reminder <paramref name="name"/>, which the agent sets with
    /// <see cref="AgentContext.SetReminderAsync"/>. A tick runs as one turn of the agent, activating it
    /// if needed; a tick that throws is logged and the next one comes on schedule.
    /// </summary>
    public AgentBehavior OnReminder(string name, Func<AgentReminderTick, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_reminders.TryAdd(name, handler))
        {
            throw new ArgumentException($"The reminder '{name}' is handled twice.", nameof(name));
        }

        return this;
    }

    /// <summary>The reminders handled, by name.</summary>
    public IReadOnlyCollection<string> Reminders => _reminders.Keys;

    internal bool TryGetReminder(string name, out Func<AgentReminderTick, Task> handler) => _reminders.TryGetValue(name, out handler!);

    /// <summary>The topic patterns handled, in declaration order.</summary>
    public IReadOnlyList<string> Topics => [.. _handlers.Select(h => h.Pattern.Text)];

    /// <summary>The requests answered, with their descriptions.</summary>
    public IReadOnlyDictionary<string, string?> Requests => _requests.ToDictionary(r => r.Key, r => r.Value.Description, StringComparer.Ordinal);

    /// <summary>The first handler whose pattern matches <paramref name="topic"/>.</summary>
    internal Func<Signal, Task>? HandlerFor(string topic)
    {
        // An agent mostly gets one topic over and over: the last answer is kept.
        if (string.Equals(_lastTopic, topic, StringComparison.Ordinal))
        {
            return _lastHandler;
        }

        Func<Signal, Task>? found = null;
        foreach (var (pattern, handler) in _handlers)
        {
            if (pattern.Matches(topic))
            {
                found = handler;
                break;
            }
        }

        _lastTopic = topic;
        _lastHandler = found;
        return found;
    }

    // The last answer, in this object's own fields (read on the agent's turn only): one cold line fewer per signal than a lookup object.
    private string? _lastTopic;
    private Func<Signal, Task>? _lastHandler;

    internal bool TryGetRequest(string name, out RequestHandler handler) => _requests.TryGetValue(name, out handler!);

    /// <summary>The name of the only request answered, or null when there are none or several (without copying <see cref="Requests"/>).</summary>
    internal string? OnlyRequest => _requests.Count == 1 ? _requests.Keys.First() : null;

    internal sealed record RequestHandler(Func<JsonElement, Task<JsonElement>> Handle, string? Description, Type? RequestType);
}

/// <summary>A signal's data does not have the shape its handler takes; retrying cannot help.</summary>
public sealed class SignalDataException(string message, Exception? inner = null) : Exception(message, inner), IRetryableFailure
{
    /// <summary>Never: the payload will not change shape on a retry.</summary>
    public bool CanSucceedOnRetry => false;
}
