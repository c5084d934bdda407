using Agents.Runtime.Catalog;
using Agents.Storage;

namespace Agents.Runtime.Storage;

/// <summary>State an activation loads before <c>OnActivateAsync</c>.</summary>
internal interface IActivationState
{
    Task LoadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A grain's <see cref="IPersistentState{TState}"/>: a named record in a storage provider, read
/// when the activation starts. A write or clear that finds a different ETag in storage deactivates
/// the activation (its view of the state is stale) and rethrows, so the next call starts from
/// what is stored.
/// </summary>
internal sealed class PersistentState<TState>(string stateName, string? storageName, ActivationData activation, GrainStorageRegistry registry)
    : IPersistentState<TState>, IGrainState<TState>, IActivationState
{
    private readonly string _storageName = storageName ?? GrainStorageRegistry.DefaultName;
    private IGrainStorage? _storage;

    public TState State { get; set; } = NewState<TState>.Create();

    public string? Etag { get; set; }

    string? IGrainState<TState>.ETag
    {
        get => Etag;
        set => Etag = value;
    }

    public bool RecordExists { get; set; }

    private IGrainStorage Storage => _storage ??= registry.Get(_storageName, activation.GrainId, stateName);

    public Task LoadAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        await Storage.ReadStateAsync(stateName, activation.GrainId, this, cancellationToken);
        State ??= NewState<TState>.Create();
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Storage.WriteStateAsync(stateName, activation.GrainId, this, cancellationToken);
        }
        catch (InconsistentStateException exception)
        {
            activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.InconsistentState, $"State '{stateName}' was written by someone else.", exception));
            throw;
        }
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Storage.ClearStateAsync(stateName, activation.GrainId, this, cancellationToken);
        }
        catch (InconsistentStateException exception)
        {
            activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.InconsistentState, $"State '{stateName}' was written by someone else.", exception));
            throw;
        }

        State = NewState<TState>.Create();
    }
}
