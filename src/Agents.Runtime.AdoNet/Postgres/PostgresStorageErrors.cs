using System.Globalization;
using Npgsql;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// The exceptions one provider raises, worded so that an operator reading a log line knows which
/// grain, which state, which provider and which table/database are involved. The connection string
/// is never quoted (it holds a password); host, port and database are.
/// </summary>
internal sealed class PostgresStorageErrors(string providerName, string tableName, string database)
{
    public string Provider => $"storage provider '{providerName}' (PostgreSQL)";

    public string Location => $"table '{tableName}' in {database}";

    public static string DescribeDatabase(NpgsqlConnectionStringBuilder builder) =>
        $"database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}";

    public InconsistentStateException Conflict(PostgresStateWrite write, long? storedVersion)
    {
        var stored = storedVersion?.ToString(CultureInfo.InvariantCulture);
        var verb = write.Kind == PostgresStateWriteKind.Clear ? "clearing" : "writing";
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
    /// A write that did not succeed. When the server reported the error, or the batch never reached
    /// the server, nothing was stored. When the connection failed while the batch was in flight the
    /// outcome is unknown, and the message says so: the caller's ETag is then stale either way, so
    /// its next write conflicts rather than silently overwriting.
    /// </summary>
    public GrainStateException WriteFailed(PostgresStateWrite write, Exception inner, bool outcomeUnknown = false)
    {
        var action = write.Kind == PostgresStateWriteKind.Clear ? "Clearing" : "Writing";
        var outcome = outcomeUnknown
            ? "failed while the connection was in use, so it may or may not have been committed (read the state again before retrying)"
            : "failed and was not committed";
        return new GrainStateException($"{action} state '{write.StateName}' of grain {write.GrainId} in {Provider} {outcome}: {inner.Message} ({Location}).", inner);
    }

    public ObjectDisposedException Disposed() => new(Provider, $"The {Provider} has been disposed.");
}
