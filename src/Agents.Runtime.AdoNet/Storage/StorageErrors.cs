using System.Globalization;

namespace Agents.AdoNet.Storage;

/// <summary>
/// The exceptions one provider raises, worded so that an operator reading a log line knows which
/// grain, which state, which provider and which table/database are involved.
/// </summary>
/// <param name="providerName">The provider's configured name, e.g. <c>Default</c>.</param>
/// <param name="providerKind">The database engine, as shown to operators: <c>SQLite</c>, <c>PostgreSQL</c>.</param>
/// <param name="tableName">The table holding grain state.</param>
/// <param name="database">
/// Where the table lives, as the provider describes it (e.g. a quoted file path, or host, port and
/// database). Never a connection string: it may hold a password.
/// </param>
internal sealed class StorageErrors(string providerName, string providerKind, string tableName, string database)
{
    public string Provider => $"storage provider '{providerName}' ({providerKind})";

    public string Location => $"table '{tableName}' in {database}";

    public InconsistentStateException Conflict(StateWrite write, long? storedVersion)
    {
        var stored = storedVersion?.ToString(CultureInfo.InvariantCulture);
        var verb = write.Kind == StateWriteKind.Clear ? "clearing" : "writing";
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

    /// <summary>
    /// A write that did not succeed. When the database reported the error, or the batch never reached
    /// it, nothing was stored. When a connection failed while the batch was in flight
    /// (<paramref name="outcomeUnknown"/>) the outcome is unknown, and the message says so: the
    /// caller's ETag is then stale either way, so its next write conflicts rather than silently
    /// overwriting.
    /// </summary>
    public GrainStateException WriteFailed(StateWrite write, Exception inner, bool outcomeUnknown = false)
    {
        var action = write.Kind == StateWriteKind.Clear ? "Clearing" : "Writing";
        var outcome = outcomeUnknown
            ? "failed while the connection was in use, so it may or may not have been committed (read the state again before retrying)"
            : "failed and was not committed";
        return new GrainStateException($"{action} state '{write.StateName}' of grain {write.GrainId} in {Provider} {outcome}: {inner.Message} ({Location}).", inner);
    }

    public ObjectDisposedException Disposed() => new(Provider, $"The {Provider} has been disposed.");
}
