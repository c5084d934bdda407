using Agents.Runtime.Catalog;
using Agents.Runtime.Scheduler;

namespace Agents.Runtime.Timers;

/// <summary>
/// A grain timer. The underlying timer only queues a tick; the tick runs as work of the
/// activation (a turn, like a request), and the next tick is armed only after the callback
/// completes, so ticks never pile up or overlap. Disposing stops future ticks and cancels the
/// token the running callback got.
/// </summary>
internal abstract class GrainTimer : IGrainTimer
{
    private readonly ActivationData _activation;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _disposed = new();
    private readonly bool _interleave;
    private readonly bool _keepAlive;
    private TimeSpan _dueTime;
    private TimeSpan _period;

    protected GrainTimer(ActivationData activation, GrainTimerCreationOptions options, TimeProvider time)
    {
        if (options.DueTime < TimeSpan.Zero && options.DueTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"A timer's due time must not be negative (was {options.DueTime}).");
        }

        if (options.Period <= TimeSpan.Zero && options.Period != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"A timer's period must be positive or Timeout.InfiniteTimeSpan (was {options.Period}).");
        }

        _activation = activation;
        _interleave = options.Interleave;
        _keepAlive = options.KeepAlive;
        _dueTime = options.DueTime;
        _period = options.Period;
        _timer = time.CreateTimer(static t => ((GrainTimer)t!).OnFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Start() => _timer.Change(_dueTime, Timeout.InfiniteTimeSpan);

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        _dueTime = dueTime;
        _period = period;
        _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
    }

    private void OnFired()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _activation.EnqueueTimerTick(this, _interleave);
        }
    }

    /// <summary>Runs one tick inside the activation's turn.</summary>
    internal void RunTick()
    {
        if (_disposed.IsCancellationRequested)
        {
            _activation.OnWorkCompleted(this, markActive: false);
            return;
        }

        if (_keepAlive)
        {
            _activation.MarkActive();
        }

        TaskCompletion.Start(static t => t.InvokeCallback(t._disposed.Token), this, static (tick, t) => t.OnTickCompleted(tick));
    }

    private void OnTickCompleted(Task tick)
    {
        if (tick.IsFaulted && !_disposed.IsCancellationRequested)
        {
            _activation.OnTimerTickFailed(tick.Exception!.InnerException!);
        }

        // Arm the next tick before the activation takes other work, so whatever the grain does
        // next already sees the timer armed.
        if (!_disposed.IsCancellationRequested && _period != Timeout.InfiniteTimeSpan)
        {
            try
            {
                _timer.Change(_period, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: no more ticks, as asked.
            }
        }

        // Ticks count as activity only for KeepAlive timers: others must not keep an idle grain alive.
        _activation.OnWorkCompleted(this, markActive: _keepAlive);
    }

    protected abstract Task InvokeCallback(CancellationToken cancellationToken);

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _disposed.Cancel();
        _timer.Dispose();
        _activation.OnTimerDisposed(this);
    }
}

internal sealed class GrainTimer<TState>(
    ActivationData activation,
    Func<TState, CancellationToken, Task> callback,
    TState state,
    GrainTimerCreationOptions options,
    TimeProvider time) : GrainTimer(activation, options, time)
{
    protected override Task InvokeCallback(CancellationToken cancellationToken) => callback(state, cancellationToken);
}
