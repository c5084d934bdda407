using System.Text.Json;
using Agents.Signals;

namespace Agents.Agents;

/// <summary>
/// The base of every agent. An agent declares in <see cref="Configure"/> which signals it handles
/// and which requests it answers; it publishes signals, asks other agents and keeps state through
/// <see cref="Context"/>. One instance serves one agent (type, key) at a time, one message at a
/// time, like the grain it lives in.
/// </summary>
/// <example>
/// <code>
/// public sealed class GreeterAgent : Agent&lt;GreeterState&gt;
/// {
///     protected override void Configure(AgentBehavior agent) => agent
///         .On&lt;Hello&gt;("greetings.hello", async (hello, signal) =>
///         {
///             State.Seen++;
///             await SaveStateAsync();
///             await Context.PublishAsync("greetings.answered", new { to = hello.Name });
///         })
///         .Answer&lt;object?, GreeterState&gt;("stats", _ => Task.FromResult(State));
/// }
/// </code>
/// </example>
public abstract class Agent
{
    private AgentContext? _context;

    /// <summary>This agent's identity, its way to the rest of the cluster, and its services.</summary>
    protected AgentContext Context => _context ?? throw new InvalidOperationException("The agent is not attached to an activation yet; use Context from OnActivateAsync or a handler.");

    /// <summary>Declares the signals this agent handles and the requests it answers.</summary>
    protected abstract void Configure(AgentBehavior agent);

    /// <summary>Runs when the agent is activated, after its state was loaded.</summary>
    protected virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs when the agent is deactivated.</summary>
    protected virtual Task OnDeactivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A short JSON summary of this agent for status pages (its state, by default).</summary>
    protected virtual string DescribeState() => "null";

    internal void Attach(AgentContext context) => _context = context;

    // The host calls the protected hooks through these (protected members keep user overrides simple).
    internal void ConfigureBehavior(AgentBehavior agent) => Configure(agent);

    internal Task ActivateAsync(CancellationToken cancellationToken) => OnActivateAsync(cancellationToken);

    internal Task DeactivateAsync(CancellationToken cancellationToken) => OnDeactivateAsync(cancellationToken);

    internal string DescribeStateJson() => DescribeState();

    /// <summary>Loads the state from its stored JSON (none: a fresh state).</summary>
    internal virtual void LoadState(string? json)
    {
    }

    /// <summary>The state as JSON to store, or null when the agent keeps none.</summary>
    internal virtual string? SaveState() => null;
}

/// <summary>An agent with durable state of type <typeparamref name="TState"/>, stored as JSON.</summary>
public abstract class Agent<TState> : Agent
    where TState : class, new()
{
    /// <summary>The state; changes are kept by <see cref="SaveStateAsync"/>. A handler attempt that fails loses its unsaved changes.</summary>
    protected TState State { get; set; } = new();

    /// <summary>Writes the state durably; when it returns, the write is acknowledged.</summary>
    protected Task SaveStateAsync() => Context.SaveStateAsync();

    protected override string DescribeState() => JsonSerializer.Serialize(State, SignalJson.Options);

    internal override void LoadState(string? json) =>
        State = string.IsNullOrEmpty(json) ? new TState() : JsonSerializer.Deserialize<TState>(json, SignalJson.Options) ?? new TState();

    internal override string? SaveState() => JsonSerializer.Serialize(State, SignalJson.Options);
}
