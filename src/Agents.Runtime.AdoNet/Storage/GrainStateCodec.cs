using System.Globalization;
using System.Runtime.InteropServices;
using Agents.Storage;

namespace Agents.AdoNet.Storage;

/// <summary>A stored record as a provider read it: its version (the ETag) and its encoded state.</summary>
internal readonly record struct StoredRow(long Version, byte[] Payload);

/// <summary>
/// The provider-neutral half of reading and writing grain state: argument checks, encoding a state
/// for a write, decoding a stored row into the caller's <see cref="IGrainState{TState}"/>, and the
/// ETag bookkeeping after a write or clear. Each provider keeps its own SQL, connections and logging.
/// </summary>
/// <param name="serializer">Encodes and decodes state.</param>
/// <param name="errors">Words the provider's exceptions.</param>
/// <param name="logUnreadable">Logs a row that does not decode (grain, state), before the exception is raised.</param>
internal sealed class GrainStateCodec(IGrainStateSerializer serializer, StorageErrors errors, Action<Exception?, GrainId, string> logUnreadable)
{
    /// <summary>Checks a call's arguments (the provider checks disposal after these).</summary>
    public static void ValidateArguments<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("A grain id is required.", nameof(grainId));
        }
    }

    /// <summary>
    /// Fills <paramref name="grainState"/> from a read: a fresh state and no ETag when there is no
    /// record (or only a tombstone), else the decoded state and the row's version.
    /// </summary>
    /// <exception cref="GrainStateException">The payload does not decode as <typeparamref name="TState"/>.</exception>
    public void Decode<TState>(GrainId grainId, string stateName, IGrainState<TState> grainState, StoredRow? row)
    {
        if (row is not { } stored)
        {
            grainState.State = NewState<TState>.Create();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        TState? state;
        try
        {
            state = serializer.Deserialize<TState>(stored.Payload);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logUnreadable(ex, grainId, stateName);
            throw errors.Corrupt(grainId, stateName, typeof(TState), $"the payload of version {stored.Version} does not decode ({ex.Message})", ex);
        }

        grainState.State = state ?? NewState<TState>.Create();
        grainState.ETag = stored.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>Encodes a state for a write.</summary>
    /// <exception cref="GrainStateException">The serializer failed; nothing is stored.</exception>
    public byte[] Encode<TState>(GrainId grainId, string stateName, TState state)
    {
        ReadOnlyMemory<byte> encoded;
        try
        {
            encoded = serializer.Serialize(state);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw errors.EncodeFailed(grainId, stateName, typeof(TState), ex);
        }

        // The JSON serializer hands back a whole array; reuse it rather than copy.
        return MemoryMarshal.TryGetArray(encoded, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : encoded.ToArray();
    }

    /// <summary>Records a committed write: the new version is the caller's ETag.</summary>
    public static void Written<TState>(IGrainState<TState> grainState, long version)
    {
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>Records a committed clear: no record, no ETag.</summary>
    public static void Cleared<TState>(IGrainState<TState> grainState)
    {
        grainState.ETag = null;
        grainState.RecordExists = false;
    }
}
