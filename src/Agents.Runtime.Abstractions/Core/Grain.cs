using Agents.Streams;

namespace Agents;

/// <summary>
/// Base class for grains. A grain processes one request at a time (unless marked
/// <see cref="ReentrantAttribute"/>), and every continuation of its code runs on its own
/// activation scheduler, so grain fields need no locks.
/// </summary>
public abstract class Grain : IGrainBase
{
    /// <summary>Binds the grain to the activation being created; grains are only constructed by the runtime.</summary>
    protected Grain()
    {
        GrainContext = GrainContextScope.Current
            ?? throw new InvalidOperationException(
                $"{GetType().Name} is a grain and can only be created by the Agents runtime; use IGrainFactory.GetGrain<T>(key) to get a reference to it.");
    }

    /// <summary>The activation this grain instance belongs to.</summary>
    public IGrainContext GrainContext { get; }

    /// <summary>This grain's identity.</summary>
    public GrainId GrainId => GrainContext.GrainId;

    /// <summary>Creates references to other grains.</summary>
    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    /// <summary>The silo's services.</summary>
    protected IServiceProvider ServiceProvider => GrainContext.ActivationServices;

    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivate once the current request completes.</summary>
    protected void DeactivateOnIdle() => GrainContext.DeactivateOnIdle();

    /// <summary>Keep this activation alive for at least <paramref name="timeSpan"/>.</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => GrainContext.DelayDeactivation(timeSpan);

    /// <summary>A timer whose ticks run as turns of this grain.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        GrainContext.RegisterGrainTimer(static (cb, ct) => cb(ct), callback, new GrainTimerCreationOptions(dueTime, period));

    /// <summary>A timer whose ticks run as turns of this grain, with state passed to each tick.</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options) =>
        GrainContext.RegisterGrainTimer(callback, state, options);

    /// <summary>A named stream provider.</summary>
    protected IStreamProvider GetStreamProvider(string name) => GrainContext.GetStreamProvider(name);
}

/// <summary>Why an activation is being deactivated.</summary>
public enum DeactivationReasonCode
{
    None,
    /// <summary>Idle for longer than its collection age.</summary>
    IdleCollection,
    /// <summary>The grain called <c>DeactivateOnIdle</c>.</summary>
    ApplicationRequested,
    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,
    /// <summary>Activation failed or state became inconsistent.</summary>
    ActivationFailed,
    /// <summary>A write found a newer ETag in storage; the activation's state is stale.</summary>
    InconsistentState,
    /// <summary>A runtime error.</summary>
    RuntimeError,
    /// <summary>Another activation of the grain registered in the cluster's directory first; this one hands its calls over.</summary>
    DuplicateActivation,
}

/// <summary>Why an activation is being deactivated, with a description for logs.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description, Exception? Exception = null)
{
    public override string ToString() => Exception is null ? $"{Code}: {Description}" : $"{Code}: {Description} ({Exception.GetType().Name}: {Exception.Message})";
}
