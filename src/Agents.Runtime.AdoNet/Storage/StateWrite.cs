namespace Agents.AdoNet.Storage;

internal enum StateWriteKind
{
    /// <summary>Store a payload: insert (null ETag) or compare-and-swap update.</summary>
    Write,

    /// <summary>Tombstone the record under the ETag rule.</summary>
    Clear,
}

/// <summary>
/// One queued write or clear, waiting for a provider's writer. The caller awaits
/// <see cref="Completion"/>, which completes only after the transaction holding it has committed
/// (with the new version), or with the exception that applies to this write alone.
/// </summary>
/// <remarks>
/// Cancellation races the writer through <see cref="_state"/>: whichever moves it out of
/// <c>Pending</c> first decides. A write the writer has claimed runs to completion and its outcome
/// is reported even if the token fires meanwhile, so a cancelled task always means "not stored".
/// </remarks>
internal class StateWrite
{
    private const int Pending = 0;
    private const int Claimed = 1;
    private const int Cancelled = 2;

    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private CancellationTokenRegistration _cancellation;

    public StateWrite(StateWriteKind kind, GrainId grainId, string stateName, string? etag, byte[]? payload)
    {
        Kind = kind;
        GrainId = grainId;
        StateName = stateName;
        Etag = etag;
        Payload = payload;
    }

    public StateWriteKind Kind { get; }

    public GrainId GrainId { get; }

    public string StateName { get; }

    /// <summary>The ETag the caller holds: null means "no record must exist".</summary>
    public string? Etag { get; }

    /// <summary>The encoded state; null for a clear.</summary>
    public byte[]? Payload { get; }

    /// <summary>The new version once committed (for a clear with a null ETag: 0, nothing changed).</summary>
    public Task<long> Completion => _completion.Task;

    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((StateWrite)state!).TryCancel(token), this);
        }
    }

    /// <summary>The writer takes this write into a batch; false if it was cancelled first.</summary>
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
