using System.Text.Json;
using Agents.Signals;
using Microsoft.Extensions.Logging;

namespace Agents.Agents;

/// <summary>An agent's identity and its way to the rest of the cluster.</summary>
public sealed class AgentContext
{
    private readonly AgentGrain _grain;

    internal AgentContext(AgentGrain grain, AgentId id, string? role, IServiceProvider services, ILogger logger)
    {
        _grain = grain;
        Id = id;
        Role = role;
        Services = services;
        Logger = logger;
    }

    public AgentId Id { get; }

    /// <summary>The built-in role, or null for a code-defined agent.</summary>
    public string? Role { get; }

    public IServiceProvider Services { get; }

    public ILogger Logger { get; }

    /// <summary>The silo's clock (a test may replace it); use it rather than <see cref="DateTimeOffset.UtcNow"/> so timing is testable.</summary>
    public TimeProvider Time => _grain.Time;

    /// <summary>The signal being handled, when a handler runs.</summary>
    public Signal? CurrentSignal { get; internal set; }

    /// <summary>
    /// Publishes a signal. Inside a handler it is caused by the signal being handled (same
    /// correlation id; causation id = that signal's id).
    /// </summary>
    public Task PublishAsync(string topic, object? data, string? subject = null)
    {
        var json = data is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(data, SignalJson.Options);
        var source = $"/agents/{Id.Type}/{Id.Key}";
        var signal = CurrentSignal is { } cause ? cause.Caused(topic, json, source, subject) : Signal.Create(topic, json, source, subject);
        if (signal.Hops > _grain.MaxSignalHops)
        {
            throw new SignalLoopException(
                $"{Id} would publish on {topic} a signal {signal.Hops} hops from the one that began its chain (correlation {signal.CorrelationId}; caused by " +
                $"{signal.CausationId} on {CurrentSignal!.Topic}), past Agents:Service:MaxSignalHops ({_grain.MaxSignalHops}). Agents are likely publishing on each other's topics " +
                "in a loop: check the topology's routes for a cycle, or raise the limit if the chain is meant to be this long.");
        }

        return _grain.PublishAsync(signal);
    }

    /// <summary>Asks another agent; returns its JSON reply.</summary>
    public async Task<JsonElement> AskAsync(AgentId agent, string request, object? body = null)
    {
        var json = body is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(body, SignalJson.Options);
        var reply = await _grain.AgentFactory.GetGrain<IAgentGrain>(agent.GrainKey).Ask(request, json);
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.Clone();
    }

    /// <summary>Asks another agent and reads its reply as <typeparamref name="T"/>.</summary>
    public async Task<T?> AskAsync<T>(AgentId agent, string request, object? body = null) =>
        (await AskAsync(agent, request, body)).Deserialize<T>(SignalJson.Options);

    /// <summary>Writes the agent's state durably.</summary>
    public Task SaveStateAsync() => _grain.SaveAgentStateAsync();

    /// <summary>Runs <paramref name="callback"/> on the agent's turn every <paramref name="period"/> while it is active.</summary>
    public IDisposable RegisterTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        _grain.RegisterAgentTimer(callback, dueTime, period);

    /// <summary>
    /// Sets (or replaces) the durable reminder <paramref name="name"/>: its first tick comes after
    /// <paramref name="dueTime"/>, then one every <paramref name="period"/> (at least
    /// <c>Agents:Reminders:MinimumPeriod</c>, one second by default), to the handler declared with
    /// <see cref="AgentBehavior.OnReminder"/>. Unlike a timer it survives deactivation, restarts and
    /// silo failures: a tick activates the agent wherever the cluster places it.
    /// </summary>
    /// <exception cref="ReminderException">The name or schedule is invalid, or the reminder could not be stored.</exception>
    public Task SetReminderAsync(string name, TimeSpan dueTime, TimeSpan period) => _grain.SetAgentReminderAsync(name, dueTime, period);

    /// <summary>Removes the reminder <paramref name="name"/>; false if the agent had none by that name.</summary>
    public Task<bool> CancelReminderAsync(string name) => _grain.CancelAgentReminderAsync(name);

    /// <summary>Keeps the agent active for at least <paramref name="duration"/> even when idle, e.g. so that a timer it set can fire.</summary>
    public void DelayDeactivation(TimeSpan duration) => _grain.DelayAgentDeactivation(duration);
}
