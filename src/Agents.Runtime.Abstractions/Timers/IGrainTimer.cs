namespace Agents;

/// <summary>A timer registered by a grain. Disposing it stops future ticks.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Changes when the next tick happens and the period after it.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>How a grain timer ticks.</summary>
/// <param name="DueTime">Delay before the first tick.</param>
/// <param name="Period">Time between ticks; <see cref="Timeout.InfiniteTimeSpan"/> for one tick.</param>
public readonly record struct GrainTimerCreationOptions(TimeSpan DueTime, TimeSpan Period)
{
    /// <summary>
    /// When true a tick may run while a request is awaiting (interleaving at awaits, never in
    /// parallel). When false (default) a tick waits for the grain to be free, like a request.
    /// </summary>
    public bool Interleave { get; init; }

    /// <summary>When true, ticks count as activity and keep the grain from idle collection.</summary>
    public bool KeepAlive { get; init; }
}
