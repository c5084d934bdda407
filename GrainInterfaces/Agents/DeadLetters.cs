using Agents.Signals;

namespace Agents.Agents;

/// <summary>A signal an agent could not handle, with the last exception.</summary>
[GenerateSerializer]
[Immutable]
public sealed record DeadLetter
{
    [Id(0)]
    public required Signal Signal { get; init; }

    /// <summary>The agent that failed to handle it (<see cref="AgentId.GrainKey"/> form).</summary>
    [Id(1)]
    public required string Agent { get; init; }

    [Id(2)]
    public required int Attempts { get; init; }

    /// <summary>The exception's type name.</summary>
    [Id(3)]
    public required string ErrorType { get; init; }

    [Id(4)]
    public required string ErrorMessage { get; init; }

    [Id(5)]
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// The cluster's dead-letter list (one grain, key <c>all</c>): the most recent signals that agents
/// failed to handle after their retries, kept durably and bounded.
/// </summary>
[DefaultGrainType("dead-letters")]
public interface IDeadLetterGrain : IGrainWithStringKey
{
    Task Add(DeadLetter letter);

    /// <summary>The most recent dead letters, newest last, at most <paramref name="max"/>.</summary>
    [ReadOnly]
    Task<IReadOnlyList<DeadLetter>> List(int max);
}
