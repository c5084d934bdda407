namespace Agents.Runtime.Generators.Tests;

/// <summary>An in-memory <see cref="IPersistentState{TState}"/> that remembers the names it was created with.</summary>
public sealed class TestPersistentState<TState>(string stateName, string? storageName) : IPersistentState<TState>
    where TState : new()
{
    public string StateName { get; } = stateName;

    public string? StorageName { get; } = storageName;

    public TState State { get; set; } = new();

    public string? Etag => null;

    public bool RecordExists => false;

    public string Describe() => $"{StateName}@{StorageName}";

    public Task ReadStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task WriteStateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        State = new();
        return Task.CompletedTask;
    }
}
