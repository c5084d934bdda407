namespace Agents.Storage;

/// <summary>One grain state record as a storage provider sees it.</summary>
public interface IGrainState<TState>
{
    TState State { get; set; }

    /// <summary>
    /// The version of the record: null when the caller has never seen a stored record.
    /// Providers treat it as opaque text and produce a new value on every write.
    /// </summary>
    string? ETag { get; set; }

    bool RecordExists { get; set; }
}

/// <summary>A plain <see cref="IGrainState{TState}"/>.</summary>
public sealed class GrainState<TState>(TState state) : IGrainState<TState>
{
    public TState State { get; set; } = state;

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

/// <summary>
/// A grain storage provider. Records are keyed by (grain type, grain key, state name).
/// <list type="bullet">
/// <item><b>Read</b> fills State, ETag and RecordExists from the stored record, or resets them
/// (a new State, null ETag, false) when there is none. A record that cannot be decoded raises
/// <see cref="GrainStateException"/> naming the grain and provider.</item>
/// <item><b>Write</b> is a compare-and-swap on the ETag, atomic with the write itself: with a null
/// ETag it succeeds only if no record exists; otherwise only if the stored ETag equals the given
/// one. On success ETag is set to the new version and RecordExists to true; on a mismatch it
/// throws <see cref="InconsistentStateException"/> and stores nothing. When the returned task
/// completes the write is durable as far as the provider promises (SQLite: synced to disk).</item>
/// <item><b>Clear</b> deletes the record under the same ETag rule, then resets ETag to null and
/// RecordExists to false.</item>
/// </list>
/// </summary>
public interface IGrainStorage
{
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);

    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);

    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);
}
