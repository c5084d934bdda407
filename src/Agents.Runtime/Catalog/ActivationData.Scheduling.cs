using Agents.Invocation;
using Agents.Runtime.Core;

namespace Agents.Runtime.Catalog;

/// <summary>The turn-based scheduler of an activation. See the invariants in ActivationData.cs.</summary>
internal sealed partial class ActivationData
{
    /// <summary>
    /// Accepts a request for this activation. Returns false when the activation is gone and the
    /// caller must resolve the grain again. A call that would deadlock is failed here, at once.
    /// </summary>
    public bool TryEnqueue(GrainRequest request)
    {
        DeadlockException? cycle = null;
        bool schedule;
        lock (this)
        {
            if (_state == ActivationState.Invalid)
            {
                return false;
            }

            var interleave = request.Method.IsAlwaysInterleave;
            if (!interleave && !_class.IsReentrant && Group is null && _running > 0 && request.CallContext?.Chain is { } chain && chain.Contains(GrainId))
            {
                if (_catalog.Options.AllowCallChainReentrancy)
                {
                    interleave = true;
                }
                else
                {
                    cycle = CreateDeadlockException(chain);
                }
            }

            if (cycle is null)
            {
                if (interleave && _state == ActivationState.Active)
                {
                    (_ready ??= new Queue<PostedWork>()).Enqueue(new PostedWork(null, request));
                }
                else
                {
                    (_waiting ??= new Queue<object>()).Enqueue(request);
                }
            }

            schedule = cycle is null && !_scheduled && HasRunnableWorkLocked();
            if (schedule)
            {
                _scheduled = true;
            }
        }

        if (cycle is not null)
        {
            _catalog.FailUndelivered(request, cycle);
            return true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }

    private DeadlockException CreateDeadlockException(CallChainLink chain)
    {
        var grains = chain.ToList().Append(GrainId).ToArray();
        return new DeadlockException(
            $"Call cycle detected: {string.Join(" → ", grains)}. Grain {GrainId} is not reentrant and is busy with the call that " +
            "started this chain, so this call would wait on itself forever. Make the grain [Reentrant], the method [AlwaysInterleave], " +
            "or set Agents:Silo:AllowCallChainReentrancy.",
            grains);
    }

    /// <summary>A continuation of grain code, posted by an await inside a turn.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        EnqueueReady(new PostedWork(d, state));
    }

    /// <summary>Runs <paramref name="d"/> synchronously when already on this activation's turn; otherwise posts and waits is not supported.</summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (RuntimeContext.Current != this)
        {
            throw new NotSupportedException("Synchronous Send into a grain activation would block a thread; await a grain call instead.");
        }

        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;

    private void EnqueueReady(PostedWork work)
    {
        bool schedule;
        lock (this)
        {
            (_ready ??= new Queue<PostedWork>()).Enqueue(work);
            schedule = !_scheduled;
            _scheduled = true;
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Runs a slice of this activation's work on a thread-pool thread.</summary>
    public void Execute()
    {
        var previousContext = Current;
        var baseline = ExecutionContext.Capture();
        SetSynchronizationContext(this);
        RuntimeContext.Current = this;
        try
        {
            var budget = _catalog.Options.MaxWorkItemsPerTurnSlice;
            while (true)
            {
                PostedWork work;
                GrainRequest? start = null;
                lock (this)
                {
                    if (budget-- <= 0)
                    {
                        // Yield the thread to other activations; _scheduled stays true, so nobody else queues us.
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    if (_ready is { Count: > 0 })
                    {
                        work = _ready.Dequeue();
                        if (work.Callback is null && work.State is GrainRequest interleaved)
                        {
                            start = interleaved;
                            CountStartedLocked(start);
                        }
                    }
                    else if (TryTakeWaitingLocked(out var next))
                    {
                        work = default;
                        if (next is GrainRequest request)
                        {
                            start = request;
                        }
                        else
                        {
                            work = new PostedWork(static t => ((Timers.GrainTimer)t!).RunTick(), next);
                        }
                    }
                    else
                    {
                        _scheduled = false;
                        return;
                    }
                }

                if (start is not null)
                {
                    StartRequest(start);
                }
                else
                {
                    work.Callback!(work.State);
                }

                if (baseline is not null && ExecutionContext.Capture() != baseline)
                {
                    ExecutionContext.Restore(baseline);
                }
            }
        }
        catch (Exception exception)
        {
            // Grain code's own exceptions are caught where they belong (requests, ticks, lifecycle);
            // anything here is a runtime bug. Keep the activation schedulable and report it.
            _catalog.OnSchedulerFault(this, exception);
            lock (this)
            {
                _scheduled = false;
                if (HasRunnableWorkLocked())
                {
                    _scheduled = true;
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                }
            }
        }
        finally
        {
            RuntimeContext.Current = null;
            SetSynchronizationContext(previousContext);
        }
    }

    private bool HasRunnableWorkLocked() =>
        _ready is { Count: > 0 } || (_waiting is { Count: > 0 } && CanStartLocked(_waiting.Peek()));

    private bool TryTakeWaitingLocked(out object next)
    {
        if (_waiting is { Count: > 0 } && CanStartLocked(_waiting.Peek()))
        {
            next = _waiting.Dequeue();
            if (next is GrainRequest request)
            {
                CountStartedLocked(request);
            }
            else
            {
                _running++;
            }

            return true;
        }

        next = null!;
        return false;
    }

    private bool CanStartLocked(object next)
    {
        if (_state != ActivationState.Active)
        {
            return false;
        }

        if (_running == 0 || _class.IsReentrant)
        {
            return true;
        }

        return next is GrainRequest request && request.Method.IsReadOnly && _running == _runningReadOnly;
    }

    private void CountStartedLocked(GrainRequest request)
    {
        _running++;
        if (request.Method.IsReadOnly)
        {
            _runningReadOnly++;
        }
    }

    private void StartRequest(GrainRequest request)
    {
        if (request.CancellationToken.IsCancellationRequested)
        {
            request.Callee = this;
            request.FailInvocation(new OperationCanceledException(request.CancellationToken));
            return;
        }

        request.Callee = this;
        if (request.CallContext is { } context)
        {
            RequestContext.CurrentData = context;
        }

        if (_catalog.HasIncomingFilters || _class.HasGrainCallFilter)
        {
            _catalog.InvokeWithFilters(this, request, _grain!);
        }
        else
        {
            request.Invoke(_grain!);
        }
    }

    /// <summary>A request this activation ran has finished: answer the caller, then let the next one in.</summary>
    public void OnInvocationCompleted(GrainRequest request)
    {
        _catalog.CompleteLocalCall(request);
        OnWorkCompleted(request.Method.IsReadOnly);
        request.ReleaseCallee();
    }

    /// <summary>A request, tick or lifecycle operation finished.</summary>
    internal void OnWorkCompleted(bool readOnly = false)
    {
        var now = _catalog.TimeProvider.GetTimestamp();
        bool schedule = false;
        lock (this)
        {
            _running--;
            if (readOnly)
            {
                _runningReadOnly--;
            }

            _lastActiveTimestamp = now;
            if (_running == 0)
            {
                OnIdleLocked();
            }

            if (!_scheduled && HasRunnableWorkLocked())
            {
                _scheduled = true;
                schedule = true;
            }
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>A timer fired: queue its tick as work of this activation.</summary>
    internal void EnqueueTimerTick(Timers.GrainTimer timer, bool interleave)
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
                (_ready ??= new Queue<PostedWork>()).Enqueue(new PostedWork(static t => ((Timers.GrainTimer)t!).RunTick(), timer));
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

    internal void OnTimerTickFailed(Exception exception) => _catalog.Log.TimerTickFailed(GrainId, exception);
}
