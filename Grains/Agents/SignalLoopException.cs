namespace Agents.Agents;

/// <summary>
/// A handler tried to publish a signal past Agents:Service:MaxSignalHops in one causation chain: agents are publishing on
/// each other's topics in a loop. Retrying cannot help, so the signal being handled is dead-lettered at once.
/// </summary>
public sealed class SignalLoopException(string message) : Exception(message), IRetryableFailure
{
    /// <summary>Never: the same signal would loop the same way.</summary>
    public bool CanSucceedOnRetry => false;
}
