using Agents.Runtime.Timers;

namespace Agents.Runtime.Catalog;

/// <summary>Timers and idle tracking of an activation: what keeps it alive, and what runs on a schedule.</summary>
internal sealed partial class ActivationData
{
    public void DeactivateOnIdle() => RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        var until = _catalog.TimeProvider.GetTimestamp() + (long)(timeSpan.TotalSeconds * _catalog.TimeProvider.TimestampFrequency);
        lock (this)
        {
            Extras.KeepAliveUntil = Math.Max(Extras.KeepAliveUntil, until);
        }
    }

    public IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer<TState>(this, callback, state, options, _catalog.TimeProvider);
        lock (this)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"Grain {GrainId} is deactivating; it cannot register timers.");
            }

            (Extras.Timers ??= []).Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void OnTimerDisposed(GrainTimer timer)
    {
        lock (this)
        {
            _extras?.Timers?.Remove(timer);
        }
    }

    /// <summary>A timer fired: queue its tick as work of this activation.</summary>
    internal void EnqueueTimerTick(GrainTimer timer, bool interleave)
    {
        bool schedule;
        lock (this)
        {
            if (_state is ActivationState.Invalid or ActivationState.Deactivating)
            {
                return;
            }

            if (interleave)
            {
                _running++;
                (_ready ??= new Queue<PostedWork>()).Enqueue(new PostedWork(static t => ((GrainTimer)t!).RunTick(), timer));
            }
            else
            {
                (_waiting ??= new Queue<object>()).Enqueue(timer);
            }

            schedule = !_scheduled && HasRunnableWorkLocked();
            if (schedule)
            {
                _scheduled = true;
            }
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    internal void OnTimerTickFailed(Exception exception) => _catalog.Log.TimerTickFailed(GrainId, exception);

    /// <summary>Marks activity so idle collection leaves the activation alone (timers with KeepAlive).</summary>
    internal void MarkActive() => Volatile.Write(ref _lastActiveTimestamp, _catalog.TimeProvider.GetTimestamp());

    /// <summary>Idle time in timestamp units, or -1 when busy, queued, not active or kept alive.</summary>
    internal long GetIdleTime(long now)
    {
        lock (this)
        {
            if (_state != ActivationState.Active || _running > 0 || _waiting is { Count: > 0 } || _ready is { Count: > 0 })
            {
                return -1;
            }

            if (_extras is { } extras && extras.KeepAliveUntil > now)
            {
                return -1;
            }

            return now - _lastActiveTimestamp;
        }
    }
}
