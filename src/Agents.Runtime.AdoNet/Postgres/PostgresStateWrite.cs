using Agents.AdoNet.Storage;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// A <see cref="StateWrite"/> queued for <see cref="PostgresBatchWriter"/>. Batches commit
/// concurrently, so each write also carries its queue order and a row ordering that every batch
/// takes its row locks in.
/// </summary>
internal sealed class PostgresStateWrite(StateWriteKind kind, GrainId grainId, string stateName, string? etag, byte[]? payload)
    : StateWrite(kind, grainId, stateName, etag, payload)
{
    private static long _nextSequence;

    /// <summary>Queue order, so a batch sorted by row keeps same-row writes in the order they were made.</summary>
    public long Sequence { get; } = Interlocked.Increment(ref _nextSequence);

    /// <summary>
    /// Orders writes by row, then by queue order. Every batch takes its row locks in this order, so
    /// two batches committing at once can wait for each other but never deadlock.
    /// </summary>
    public static int CompareByRow(PostgresStateWrite? x, PostgresStateWrite? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var order = string.CompareOrdinal(x.GrainId.Type.Value, y.GrainId.Type.Value);
        if (order == 0)
        {
            order = string.CompareOrdinal(x.GrainId.Key, y.GrainId.Key);
        }

        if (order == 0)
        {
            order = string.CompareOrdinal(x.StateName, y.StateName);
        }

        return order != 0 ? order : x.Sequence.CompareTo(y.Sequence);
    }
}
