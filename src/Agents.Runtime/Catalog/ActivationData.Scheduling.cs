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

            if (!CanStartLocked(request) && IsCycleLocked(request, out var chain))
            {
                if (_catalog.Options.AllowCallChainReentrancy)
                {
                    request.InterleaveGranted = true;
                }
                else
                {
                    cycle = CreateDeadlockException(chain);
                }
            }

            if (cycle is null)
            {
                if (MayInterleave(request) && _state == ActivationState.Active)
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

    private bool IsCycleLocked(GrainRequest request, out CallChainLink chain)
    {
        chain = request.CallContext?.Chain!;
        return !_class.IsReentrant && Group is null && chain is not null && chain.ContainsOpen(GrainId);
    }

    internal DeadlockException CreateDeadlockException(CallChainLink chain)
    {
        var grains = chain.ToList().Append(GrainId).ToArray();
        return new DeadlockException(
            $"Call cycle detected: {string.Join(" → ", grains)}. Grain {GrainId} is busy with the call that started this chain and " +
            "would have to wait for itself. Make the grain [Reentrant], the method [AlwaysInterleave], " +
            "or set Agents:Silo:AllowCallChainReentrancy.",
            grains);
    }

    private static bool MayInterleave(GrainRequest request) => request.InterleaveGranted || request.Method.IsAlwaysInterleave;

    /// <summary>
    /// The call-chain link for a call made now from this activation: the open link of its exclusive
    /// work when that is all that runs, otherwise a closed one (see invariant 3a).
    /// </summary>
    internal CallChainLink GetOutgoingLink(CallChainLink? incoming)
    {
        lock (this)
        {
            if (_exclusiveWork is not null && _running == 1)
            {
                return _exclusiveLink ??= new CallChainLink(GrainId, (_exclusiveWork as GrainRequest)?.CallContext?.Chain, closed: false);
            }
        }

        return new CallChainLink(GrainId, incoming);
    }

    /// <summary>A continuation of grain code, posted by an await inside a turn.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        EnqueueReady(new PostedWork(d, state));
    }

    /// <summary>Runs <paramref name="d"/> synchronously when already on this activation's turn; blocking from elsewhere is not supported.</summary>
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
                PostedWork work = default;
                GrainRequest? start = null;
                lock (this)
                {
                    if (budget-- <= 0)
                    {
                        // Yield the thread to other activations; _scheduled stays true, so nobody else queues us.
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    }

                    if (!TryTakeReadyLocked(out work, out start) && !TryTakeWaitingLocked(out work, out start))
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

    /// <summary>The next continuation, or interleaving request, ready to run.</summary>
    private bool TryTakeReadyLocked(out PostedWork work, out GrainRequest? start)
    {
        start = null;
        while (_ready is { Count: > 0 })
        {
            work = _ready.Dequeue();
            if (work.Callback is not null || work.State is not GrainRequest request)
            {
                return true;
            }

            if (_state != ActivationState.Active)
            {
                // Deactivation began after this request was queued: it waits, then goes to the next activation.
                (_waiting ??= new Queue<object>()).Enqueue(request);
                continue;
            }

            start = request;
            CountStartedLocked(request);
            return true;
        }

        work = default;
        return false;
    }

    private bool HasRunnableWorkLocked() =>
        _ready is { Count: > 0 } || (_waiting is { Count: > 0 } && CanStartLocked(_waiting.Peek()));

    private bool TryTakeWaitingLocked(out PostedWork work, out GrainRequest? start)
    {
        work = default;
        start = null;
        if (_waiting is not { Count: > 0 } || !CanStartLocked(_waiting.Peek()))
        {
            return false;
        }

        var next = _waiting.Dequeue();
        if (next is GrainRequest request)
        {
            start = request;
            CountStartedLocked(request);
        }
        else
        {
            BeginWorkLocked(next);
            work = new PostedWork(static t => ((Timers.GrainTimer)t!).RunTick(), next);
        }

        return true;
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

        return next is GrainRequest request
            && (MayInterleave(request) || (request.Method.IsReadOnly && _running == _runningReadOnly));
    }

    private void CountStartedLocked(GrainRequest request)
    {
        if (request.Method.IsReadOnly)
        {
            _runningReadOnly++;
            _running++;
        }
        else
        {
            BeginWorkLocked(request);
        }
    }

    /// <summary>Counts work as running; work that starts alone on a non-reentrant grain is its exclusive work (invariant 3a).</summary>
    private void BeginWorkLocked(object work)
    {
        if (_running == 0 && !_class.IsReentrant)
        {
            _exclusiveWork = work;
            _exclusiveLink = null;
        }

        _running++;
    }

    private void StartRequest(GrainRequest request)
    {
        request.Callee = this;
        if (request.CancellationToken.IsCancellationRequested)
        {
            request.FailInvocation(new OperationCanceledException(request.CancellationToken));
            return;
        }

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
        OnWorkCompleted(request, request.Method.IsReadOnly, markActive: true);
        request.ReleaseCallee();
    }

    /// <summary>A request, tick or lifecycle operation finished.</summary>
    /// <param name="work">The work item, to end it as exclusive work if it was.</param>
    /// <param name="readOnly">Whether it was a read-only request.</param>
    /// <param name="markActive">Whether it counts as activity for idle collection.</param>
    internal void OnWorkCompleted(object work, bool readOnly = false, bool markActive = true)
    {
        var now = markActive ? _catalog.TimeProvider.GetTimestamp() : 0;
        bool schedule = false;
        lock (this)
        {
            _running--;
            if (readOnly)
            {
                _runningReadOnly--;
            }

            if (ReferenceEquals(work, _exclusiveWork))
            {
                _exclusiveLink?.Close();
                _exclusiveLink = null;
                _exclusiveWork = null;
            }

            if (markActive)
            {
                _lastActiveTimestamp = now;
            }

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
}
