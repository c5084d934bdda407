using Agents.Streams;

namespace Agents.Runtime.Generators.Tests;

/// <summary>The activation side of a test grain: identity, services and persistent state; no timers or streams.</summary>
public sealed class TestGrainContext(GrainId grainId, IServiceProvider services, IGrainFactory grainFactory) : IGrainContext
{
    public GrainId GrainId { get; } = grainId;

    public object? GrainInstance { get; set; }

    public IServiceProvider ActivationServices { get; } = services;

    public IGrainFactory GrainFactory { get; } = grainFactory;

    public List<(string StateName, string? StorageName)> RequestedStates { get; } = [];

    public void DeactivateOnIdle()
    {
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
    }

    public IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options) =>
        throw new NotSupportedException("Test grains have no timers.");

    public IStreamProvider GetStreamProvider(string name) => throw new NotSupportedException("Test grains have no streams.");

    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName)
    {
        RequestedStates.Add((stateName, storageName));
        return (IPersistentState<TState>)Activator.CreateInstance(typeof(TestPersistentState<>).MakeGenericType(typeof(TState)), stateName, storageName)!;
    }
}

/// <summary>A service provider over a fixed set of instances.</summary>
public sealed class TestServiceProvider(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(serviceType.IsInstanceOfType);
}
