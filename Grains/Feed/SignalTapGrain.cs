using Agents.Signals;

namespace Agents.Feed;

/*
 * A client's subscription to live signals, polled through the gateway.
 *
 * Invariants
 *  - Placed on the silo that first calls it (the client's gateway); it follows that silo's feed,
 *    which sees every signal dispatched in the cluster (SignalFeed's invariants).
 *  - Reentrant so that a waiting Next never holds up Close; Next itself only awaits the buffer.
 *  - Unpolled for IdleTimeout: it closes and deactivates, so a client that vanished leaves nothing.
 */

/// <summary>A polled subscription to live signals. See the invariants at the top of this file.</summary>
[GrainType("signal-tap")]
[PreferLocalPlacement]
[Reentrant]
public sealed class SignalTapGrain(SignalFeed feed, TimeProvider time) : Grain, ISignalTapGrain
{
    /// <summary>A tap nobody polled for this long closes itself.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(1);

    /// <summary>The longest a poll waits for a first signal (below the default response timeout).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(20);

    private SignalSubscription? _subscription;
    private DateTimeOffset _lastPoll;
    private IDisposable? _idleCheck;

    public Task Open(string topicPattern)
    {
        var pattern = TopicPattern.Parse(topicPattern);
        _subscription?.Dispose();
        _subscription = feed.Subscribe(pattern);
        _lastPoll = time.GetUtcNow();
        _idleCheck ??= RegisterGrainTimer(CloseIfIdle, IdleTimeout, IdleTimeout);
        return Task.CompletedTask;
    }

    public async Task<SignalBatch> Next(int max, TimeSpan wait)
    {
        var subscription = _subscription ?? throw new InvalidOperationException(
            $"Signal tap {this.GetPrimaryKey()} is not open (never opened, closed, or closed after {IdleTimeout.TotalSeconds:0} s without a poll); open a new one.");
        _lastPoll = time.GetUtcNow();
        max = Math.Clamp(max, 1, 10_000);
        var reader = subscription.Reader;
        if (!reader.TryPeek(out _) && wait > TimeSpan.Zero)
        {
            using var timeout = new CancellationTokenSource(wait > MaxWait ? MaxWait : wait, time);
            try
            {
                await reader.WaitToReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // Nothing arrived in time: an empty batch.
            }
        }

        var signals = new List<Signal>();
        while (signals.Count < max && reader.TryRead(out var signal))
        {
            signals.Add(signal);
        }

        _lastPoll = time.GetUtcNow();
        return new SignalBatch { Signals = [.. signals], Dropped = subscription.TakeDropped() };
    }

    public Task Close()
    {
        _subscription?.Dispose();
        _subscription = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        _subscription = null;
        _idleCheck?.Dispose();
        return Task.CompletedTask;
    }

    private Task CloseIfIdle(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - _lastPoll >= IdleTimeout)
        {
            return Close();
        }

        return Task.CompletedTask;
    }
}
