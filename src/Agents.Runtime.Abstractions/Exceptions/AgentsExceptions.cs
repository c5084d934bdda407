namespace Agents;

/// <summary>Base type of the exceptions the Agents runtime raises.</summary>
public class AgentsException : Exception
{
    public AgentsException()
    {
    }

    public AgentsException(string message)
        : base(message)
    {
    }

    public AgentsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A call would wait on itself: a non-reentrant grain already in the call chain is busy with the
/// request that is waiting for this one. Raised at once, naming the chain.
/// </summary>
public sealed class DeadlockException : AgentsException
{
    public DeadlockException()
    {
    }

    public DeadlockException(string message)
        : base(message)
    {
    }

    public DeadlockException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public DeadlockException(string message, IReadOnlyList<GrainId> callChain)
        : base(message) => CallChain = callChain;

    /// <summary>The grains in the cycle, from the first caller to the grain called again.</summary>
    public IReadOnlyList<GrainId> CallChain { get; } = [];
}

/// <summary>The silo hosting the target grain is gone; the call was not (or not fully) processed.</summary>
public sealed class SiloUnavailableException : AgentsException
{
    public SiloUnavailableException()
    {
    }

    public SiloUnavailableException(string message)
        : base(message)
    {
    }

    public SiloUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>No grain class is registered for a grain type or interface.</summary>
public sealed class GrainTypeNotFoundException : AgentsException
{
    public GrainTypeNotFoundException()
    {
    }

    public GrainTypeNotFoundException(string message)
        : base(message)
    {
    }

    public GrainTypeNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A state write found a different ETag in storage than the one the activation read: someone
/// else wrote it. The activation is deactivated so the next call reads fresh state.
/// </summary>
public sealed class InconsistentStateException : AgentsException
{
    public InconsistentStateException()
    {
    }

    public InconsistentStateException(string message)
        : base(message)
    {
    }

    public InconsistentStateException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public InconsistentStateException(string message, string? storedEtag, string? currentEtag)
        : base(message)
    {
        StoredEtag = storedEtag;
        CurrentEtag = currentEtag;
    }

    /// <summary>The ETag found in storage.</summary>
    public string? StoredEtag { get; }

    /// <summary>The ETag the activation held.</summary>
    public string? CurrentEtag { get; }
}

/// <summary>Storage could not read, decode or durably write a grain's state; the message names the grain, the state and the provider. A failed write stored nothing.</summary>
public sealed class GrainStateException : AgentsException
{
    public GrainStateException()
    {
    }

    public GrainStateException(string message)
        : base(message)
    {
    }

    public GrainStateException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
