namespace Agents.Agents;

/// <summary>
/// An exception that knows whether doing the same work again could succeed. A signal handler that throws one saying it
/// cannot (<see cref="CanSucceedOnRetry"/> false: bad data, a refused request, missing configuration) is dead-lettered at
/// once instead of being retried with backoff, which would only repeat the failure and its side effects (paid model calls,
/// tool calls to other agents). Anything else a handler throws is retried.
/// </summary>
public interface IRetryableFailure
{
    /// <summary>Whether a retry of the same work could succeed (a timeout, an overloaded or unreachable service).</summary>
    bool CanSucceedOnRetry { get; }
}
