using Agents.Streams;

namespace Agents;

/// <summary>
/// The runtime side of one grain activation: its identity, services and lifecycle controls.
/// A grain reaches it through <see cref="Grain.GrainContext"/>; POCO grains take it from
/// <see cref="IGrainBase.GrainContext"/>.
/// </summary>
public interface IGrainContext
{
    GrainId GrainId { get; }

    /// <summary>The grain instance, once constructed.</summary>
    object? GrainInstance { get; }

    /// <summary>The silo's services.</summary>
    IServiceProvider ActivationServices { get; }

    /// <summary>Creates references to other grains; calls made through it carry this activation's call chain.</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>Deactivate this activation once the current request completes.</summary>
    void DeactivateOnIdle();

    /// <summary>Keep this activation alive for at least <paramref name="timeSpan"/>, whatever the idle collection age.</summary>
    void DelayDeactivation(TimeSpan timeSpan);

    /// <summary>
    /// Registers a timer whose ticks run as turns of this activation (never beside another turn).
    /// Timers are not durable: they end with the activation. Use reminders for durable schedules.
    /// </summary>
    IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options);

    /// <summary>A named stream provider configured on the silo.</summary>
    IStreamProvider GetStreamProvider(string name);

    /// <summary>
    /// The persistent state named <paramref name="stateName"/> in storage provider <paramref name="storageName"/>
    /// (the default provider when null). Generated grain factories call this for
    /// <see cref="PersistentStateAttribute"/> constructor parameters.
    /// </summary>
    IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName);
}

/// <summary>The lifecycle a grain class exposes to the runtime. <see cref="Grain"/> implements it.</summary>
public interface IGrainBase
{
    IGrainContext GrainContext { get; }

    /// <summary>Runs before the first call is delivered. Throwing fails that call and leaves no activation.</summary>
    Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs when the activation is collected, asked to deactivate, or the silo shuts down.</summary>
    Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;
}
