namespace Agents.AdoNet.Postgres;

internal enum PostgresStateWriteKind
{
    /// <summary>Store a payload: insert (null ETag) or compare-and-swap update.</summary>
    Write,

    /// <summary>Tombstone the record under the ETag rule.</summary>
    Clear,
}

/// <summary>
/// One queued write or clear, waiting for a batch. The caller awaits <see cref="Completion"/>, which
/// completes only after the transaction holding it has committed (with the new version), or with the
/// exception that applies to this write alone.
/// </summary>
/// <remarks>
/// Cancellation races the writer through <see cref="_state"/>: whichever moves it out of
/// <c>Pending</c> first decides. A write a batch has claimed runs to completion and its outcome is
/// reported even if the token fires meanwhile, so a cancelled task always means "not stored".
/// </remarks>
internal sealed class PostgresStateWrite
{
    private const int Pending = 0;
    private const int Claimed = 1;
    private const int Cancelled = 2;

    private static long _nextSequence;

    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private CancellationTokenRegistration _cancellation;

    public PostgresStateWrite(PostgresStateWriteKind kind, GrainId grainId, string stateName, string? etag, byte[]? payload)
    {
        Kind = kind;
        GrainId = grainId;
        StateName = stateName;
        Etag = etag;
        Payload = payload;
        Sequence = Interlocked.Increment(ref _nextSequence);
    }

    public PostgresStateWriteKind Kind { get; }

    public GrainId GrainId { get; }

    public string StateName { get; }

    /// <summary>The ETag the caller holds: null means "no record must exist".</summary>
    public string? Etag { get; }

    /// <summary>The encoded state; null for a clear.</summary>
    public byte[]? Payload { get; }

    /// <summary>Queue order, so a batch sorted by row keeps same-row writes in the order they were made.</summary>
    public long Sequence { get; }

    /// <summary>The new version once committed (for a clear with a null ETag: 0, nothing changed).</summary>
    public Task<long> Completion => _completion.Task;

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

    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((PostgresStateWrite)state!).TryCancel(token), this);
        }
    }

    /// <summary>A batch takes this write; false if it was cancelled first.</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Pending) == Pending;

    public void Succeed(long version)
    {
        _cancellation.Dispose();
        _completion.TrySetResult(version);
    }

    public void Fail(Exception exception)
    {
        _cancellation.Dispose();
        _completion.TrySetException(exception);
    }

    private void TryCancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Pending) == Pending)
        {
            _completion.TrySetCanceled(token);
        }
    }
}
