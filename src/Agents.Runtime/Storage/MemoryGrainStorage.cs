using System.Globalization;
using Agents.Storage;

namespace Agents.Runtime.Storage;

/// <summary>
/// Grain storage in this process's memory: for tests and single-process development. Nothing
/// survives the process. State is stored serialized, so later changes to a grain's object never
/// leak into what is "stored", and the same ETag rules as durable providers apply.
/// </summary>
public sealed class MemoryGrainStorage(string name, IGrainStateSerializer? serializer = null) : IGrainStorage
{
    private readonly IGrainStateSerializer _serializer = serializer ?? JsonGrainStateSerializer.Default;
    private readonly Dictionary<(string GrainId, string StateName), Record> _records = [];
    private long _version;

    public string Name { get; } = name;

    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        Record? record;
        lock (_records)
        {
            _records.TryGetValue((grainId.ToString(), stateName), out record);
        }

        if (record?.Payload is null)
        {
            grainState.State = NewState<TState>.Create();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }

        try
        {
            grainState.State = _serializer.Deserialize<TState>(record.Payload) ?? NewState<TState>.Create();
        }
        catch (Exception exception)
        {
            return Task.FromException(new GrainStateException(
                $"State '{stateName}' of grain {grainId} in memory storage '{Name}' could not be read as {typeof(TState).Name}.", exception));
        }

        grainState.ETag = record.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var key = (grainId.ToString(), stateName);
        long version;
        lock (_records)
        {
            _records.TryGetValue(key, out var existing);
            if (CheckEtag(existing, grainState.ETag, grainId, stateName) is { } conflict)
            {
                return Task.FromException(conflict);
            }

            version = ++_version;
            _records[key] = new Record(version, payload);
        }

        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = (grainId.ToString(), stateName);
        lock (_records)
        {
            _records.TryGetValue(key, out var existing);
            if (CheckEtag(existing, grainState.ETag, grainId, stateName) is { } conflict)
            {
                return Task.FromException(conflict);
            }

            // Keep a tombstone so versions never repeat: an ETag from before the clear never
            // matches a record written after it (the same rule the SQLite provider follows).
            _records[key] = new Record(++_version, null);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private InconsistentStateException? CheckEtag(Record? existing, string? etag, GrainId grainId, string stateName)
    {
        // A cleared record (tombstone) reads as "no record": only a null ETag may write over it.
        var stored = existing?.Payload is null ? null : existing.Version.ToString(CultureInfo.InvariantCulture);
        return string.Equals(stored, etag, StringComparison.Ordinal) ? null : Conflict(stored, etag, grainId, stateName);
    }

    private InconsistentStateException Conflict(string? stored, string? etag, GrainId grainId, string stateName) =>
            new InconsistentStateException(
                $"State '{stateName}' of grain {grainId} in memory storage '{Name}' has ETag {stored ?? "(none)"}, but the write expected {etag ?? "(none)"}: someone else wrote it.",
                stored,
                etag);

    private sealed record Record(long Version, byte[]? Payload);
}
