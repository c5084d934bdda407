namespace Agents.Signals;

/// <summary>
/// A subscription to live signals for callers outside the cluster (the client SDK through a
/// gateway): open it with a topic pattern, then poll <see cref="Next"/>. It lives on one silo and
/// sees every signal dispatched in the cluster after <see cref="Open"/> returned. It closes itself
/// when nobody polled it for a minute.
/// </summary>
[DefaultGrainType("signal-tap")]
public interface ISignalTapGrain : IGrainWithGuidKey
{
    /// <summary>Starts following topics matching <paramref name="topicPattern"/> (e.g. <c>tickets.*</c>, <c>#</c>).</summary>
    Task Open(string topicPattern);

    /// <summary>
    /// Up to <paramref name="max"/> signals, waiting at most <paramref name="wait"/> (capped at 20 s)
    /// for the first one; an empty batch means none arrived in time. Fails when the tap is not open.
    /// </summary>
    [ResponseTimeout("00:00:40")] // a poll may wait 20 s, so a caller's shorter default timeout must not cut it short
    Task<SignalBatch> Next(int max, TimeSpan wait);

    /// <summary>Stops following; later polls fail.</summary>
    Task Close();
}

/// <summary>Signals read from a tap, in arrival order (per topic: publication order).</summary>
[GenerateSerializer]
[Immutable]
public sealed record SignalBatch
{
    [Id(0)]
    public Signal[] Signals { get; init; } = [];

    /// <summary>Signals dropped since the previous batch because the reader fell too far behind.</summary>
    [Id(1)]
    public long Dropped { get; init; }
}
