using Agents.Signals;

namespace Agents.Agents;

/// <summary>
/// The grain every agent lives in (grain type <c>agent</c>, key <see cref="AgentId.GrainKey"/>).
/// Callers normally go through <c>IAgentsClient</c> or an agent's context rather than this interface.
/// </summary>
[DefaultGrainType("agent")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Asks the agent: <paramref name="request"/> names what is asked (one of the requests the agent
    /// type answers; empty means the only one, when it answers exactly one) and <paramref name="bodyJson"/> carries the JSON body.
    /// Returns the JSON reply. Unknown requests fail with <see cref="AgentRequestException"/>.
    /// </summary>
    /// <remarks>Two minutes to answer, not the silo's 30 s default: an ask may wait for a language model and its tool rounds.</remarks>
    [ResponseTimeout("00:02:00")]
    Task<string> Ask(string request, string bodyJson);

    /// <summary>
    /// Hands the agent a signal routed to it. Completes when the signal was handled or, after its
    /// retries, dead-lettered; it fails only if the agent type does not exist.
    /// </summary>
    Task<SignalOutcome> Deliver(Signal signal);

    /// <summary>
    /// Hands the agent several signals routed to it, handled one after another in array order, each
    /// exactly as <see cref="Deliver"/> handles it (a dead-lettered signal does not stop the rest).
    /// Completes when the last was handled or dead-lettered. The array is only read, during the call: a
    /// local call passes it without a copy, so the caller must not change it afterwards.
    /// </summary>
    /// <remarks>
    /// Ten minutes to answer: a batch may hold up to 256 signals, each with its handler's retries (or a
    /// language model's answer). A dispatcher that times out moves on to the agent's next batch, which the
    /// agent still takes after this one.
    /// </remarks>
    [ResponseTimeout("00:10:00")]
    ValueTask DeliverBatch([Immutable] Signal[] signals);

    /// <summary>The agent's type, key, counters, a summary of its state, and its reminders.</summary>
    [ReadOnly]
    Task<AgentSnapshot> Describe();
}

/// <summary>What became of a delivered signal.</summary>
public enum SignalOutcome
{
    /// <summary>A handler ran to completion.</summary>
    Handled = 0,

    /// <summary>The agent has no handler for the topic; nothing ran.</summary>
    Ignored = 1,

    /// <summary>Handling failed on every attempt; the signal went to the dead letters.</summary>
    DeadLettered = 2,

    /// <summary>The agent had handled this signal id before (a redelivery); nothing ran.</summary>
    Duplicate = 3,
}

/// <summary>An agent as it describes itself.</summary>
[GenerateSerializer]
[Immutable]
public sealed record AgentSnapshot
{
    [Id(0)]
    public required string Type { get; init; }

    [Id(1)]
    public required string Key { get; init; }

    /// <summary>The built-in role, or null for a code-defined agent.</summary>
    [Id(2)]
    public string? Role { get; init; }

    [Id(3)]
    public long SignalsHandled { get; init; }

    [Id(4)]
    public long SignalsDeadLettered { get; init; }

    [Id(5)]
    public long Asks { get; init; }

    /// <summary>The agent's state as JSON (<c>null</c> when it keeps none).</summary>
    [Id(6)]
    public string State { get; init; } = "null";

    /// <summary>The agent's durable reminders, by name.</summary>
    [Id(7)]
    public AgentReminderInfo[] Reminders { get; init; } = [];
}

/// <summary>One of an agent's reminders, as its snapshot shows it.</summary>
[GenerateSerializer]
[Immutable]
public sealed record AgentReminderInfo
{
    [Id(0)]
    public required string Name { get; init; }

    [Id(1)]
    public TimeSpan Period { get; init; }

    /// <summary>When the next tick is due.</summary>
    [Id(2)]
    public DateTimeOffset NextDueAt { get; init; }
}
