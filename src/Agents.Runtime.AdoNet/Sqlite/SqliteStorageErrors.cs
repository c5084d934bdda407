using System.Globalization;

namespace Agents.AdoNet.Sqlite;

/// <summary>
/// The exceptions one provider raises, worded so that an operator reading a log line knows which
/// grain, which state, which provider and which table/file are involved.
/// </summary>
internal sealed class SqliteStorageErrors(string providerName, string tableName, string dataSource)
{
    public string Provider => $"storage provider '{providerName}' (SQLite)";

    public string Location => $"table '{tableName}' in '{dataSource}'";

    public InconsistentStateException Conflict(SqliteStateWrite write, long? storedVersion)
    {
        var stored = storedVersion?.ToString(CultureInfo.InvariantCulture);
        var verb = write.Kind == SqliteStateWriteKind.Clear ? "clearing" : "writing";
        return new InconsistentStateException(
            $"ETag mismatch {verb} state '{write.StateName}' of grain {write.GrainId} in {Provider}: " +
            $"storage holds {Describe(stored)}, the caller held {Describe(write.Etag)}. Nothing was stored.",
            stored,
            write.Etag);

        static string Describe(string? etag) => etag is null ? "no record" : $"ETag '{etag}'";
    }

    public GrainStateException Corrupt(GrainId grainId, string stateName, Type stateType, string problem, Exception? inner) =>
        new($"State '{stateName}' of grain {grainId} in {Provider} is unreadable: {problem} " +
            $"(expected {stateType}; row in {Location}). Fix or clear the row; other grains are unaffected.",
            inner);

    public GrainStateException ReadFailed(GrainId grainId, string stateName, Exception inner) =>
        new($"Reading state '{stateName}' of grain {grainId} from {Provider} failed: {inner.Message} ({Location}).", inner);

    public GrainStateException EncodeFailed(GrainId grainId, string stateName, Type stateType, Exception inner) =>
        new($"State '{stateName}' of grain {grainId} could not be serialized as {stateType} for {Provider}: {inner.Message}. Nothing was stored.", inner);

    public GrainStateException WriteFailed(SqliteStateWrite write, Exception inner) =>
        new($"{(write.Kind == SqliteStateWriteKind.Clear ? "Clearing" : "Writing")} state '{write.StateName}' of grain {write.GrainId} " +
            $"in {Provider} failed and was not committed: {inner.Message} ({Location}).",
            inner);

    public ObjectDisposedException Disposed() => new(Provider, $"The {Provider} has been disposed.");
}
