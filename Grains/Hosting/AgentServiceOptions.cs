namespace Agents.Hosting;

/// <summary>Settings of the agents service: <c>Agents:Service</c>.</summary>
public sealed class AgentServiceOptions
{
    public const string SectionName = "Agents:Service";

    /// <summary>The topology file (agents.yaml); relative paths resolve against the content root. Null: code-defined agents only, no routes.</summary>
    public string? TopologyFile { get; set; }

    /// <summary>The stream provider signals travel on.</summary>
    public string StreamProvider { get; set; } = "Default";

    /// <summary>Attempts at handling one signal before it is dead-lettered (1 = no retry).</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Delay before the first retry; each later retry waits twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive failed asks after which an agent refuses asks for <see cref="CircuitBreakerOpenFor"/>.</summary>
    public int CircuitBreakerFailures { get; set; } = 5;

    public TimeSpan CircuitBreakerOpenFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Dead letters kept (the oldest go first).</summary>
    public int DeadLetterCapacity { get; set; } = 1000;

    /// <summary>
    /// Signals a topic's dispatcher has handed to agents and not yet seen handled (in flight or
    /// waiting behind an agent's delivery); beyond that it waits, which holds back the topic's stream.
    /// </summary>
    public int MaxSignalsInFlight { get; set; } = 16_384;

    /// <summary>
    /// The longest chain of signals one outside signal may cause (<see cref="Signals.Signal.Hops"/>): a handler that would
    /// publish past it fails without retries and its signal is dead-lettered naming the chain, which ends a loop of agents
    /// publishing on each other's topics instead of letting it run (and, with llm agents, bill) for ever.
    /// </summary>
    public int MaxSignalHops { get; set; } = 32;

    /// <summary>Checks every value; the messages name the setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxSignalHops is < 1 or > 10_000)
        {
            yield return $"{SectionName}:MaxSignalHops must be between 1 and 10000 (was {MaxSignalHops}).";
        }

        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"{SectionName}:MaxAttempts must be between 1 and 100 (was {MaxAttempts}).";
        }

        if (FirstRetryDelay < TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
        {
            yield return $"{SectionName}:FirstRetryDelay ({FirstRetryDelay}) must be ≥ 0 and ≤ MaxRetryDelay ({MaxRetryDelay}).";
        }

        if (CircuitBreakerFailures < 1)
        {
            yield return $"{SectionName}:CircuitBreakerFailures must be at least 1 (was {CircuitBreakerFailures}).";
        }

        if (CircuitBreakerOpenFor <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:CircuitBreakerOpenFor must be positive (was {CircuitBreakerOpenFor}).";
        }

        if (DeadLetterCapacity < 1)
        {
            yield return $"{SectionName}:DeadLetterCapacity must be at least 1 (was {DeadLetterCapacity}).";
        }

        if (MaxSignalsInFlight < 1)
        {
            yield return $"{SectionName}:MaxSignalsInFlight must be at least 1 (was {MaxSignalsInFlight}).";
        }

        if (string.IsNullOrWhiteSpace(StreamProvider))
        {
            yield return $"{SectionName}:StreamProvider may not be empty.";
        }
    }

    /// <summary>The wait before retry number <paramref name="retry"/> (1-based).</summary>
    internal TimeSpan RetryDelay(int retry)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Min(retry - 1, 20));
        return delay > MaxRetryDelay ? MaxRetryDelay : delay;
    }
}
