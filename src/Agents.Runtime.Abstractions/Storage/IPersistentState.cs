namespace Agents;

/// <summary>
/// A grain's durable state. The runtime reads it before <c>OnActivateAsync</c>; the grain writes
/// it explicitly. A <see cref="WriteStateAsync"/> that returned is durable. A write whose
/// <see cref="Etag"/> no longer matches storage throws <see cref="InconsistentStateException"/>
/// and the activation is deactivated.
/// </summary>
public interface IPersistentState<TState>
{
    /// <summary>The state; a new instance of <typeparamref name="TState"/> when nothing is stored.</summary>
    TState State { get; set; }

    /// <summary>The version of the stored record this activation last read or wrote; null if none.</summary>
    string? Etag { get; }

    /// <summary>Whether a record exists in storage.</summary>
    bool RecordExists { get; }

    Task ReadStateAsync(CancellationToken cancellationToken = default);

    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored record and resets <see cref="State"/> to a new instance.</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Marks a grain constructor parameter of type <see cref="IPersistentState{TState}"/>: the state
/// named <see cref="StateName"/> in the storage provider <see cref="StorageName"/> (the default
/// provider when omitted).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    public string StateName { get; } = stateName;

    public string? StorageName { get; } = storageName;
}
