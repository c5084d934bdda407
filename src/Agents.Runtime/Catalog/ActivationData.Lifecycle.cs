using Agents.Invocation;
using Agents.Runtime.Scheduler;

namespace Agents.Runtime.Catalog;

/// <summary>Activation and deactivation of an activation. See invariant 4 in ActivationData.cs.</summary>
internal sealed partial class ActivationData
{
    /// <summary>Begins activation; called once, by whoever put this activation in the directory.</summary>
    public void StartActivation()
    {
        lock (this)
        {
            if (_state != ActivationState.Created)
            {
                return;
            }

            _state = ActivationState.Activating;
            BeginWorkLocked(this);
        }

        EnqueueReady(new PostedWork(static a => ((ActivationData)a!).RunActivation(), this));
    }

    private void RunActivation() =>
        TaskCompletion.Start(static a => a.ActivateAsync(), this, static (task, a) => a.OnActivationCompleted(task));

    private async Task ActivateAsync()
    {
        using var timeout = _catalog.CreateTimeout(_catalog.Options.ActivationTimeout);
        var token = timeout?.Token ?? CancellationToken.None;
        try
        {
            if (Group is null && _catalog.Cluster is { } cluster)
            {
                // One activation per grain in the cluster: register before any grain code runs.
                await WithinActivationTimeout(cluster.RegisterAsync(this));
            }

            using (GrainContextScope.Enter(this))
            {
                _grain = _class.Descriptor.Factory(_catalog.Services, this);
            }

            if (_extras?.States is { } states)
            {
                foreach (var state in states)
                {
                    await WithinActivationTimeout(state.LoadAsync(token));
                }
            }

            if (_grain is IGrainBase grain)
            {
                await WithinActivationTimeout(grain.OnActivateAsync(token));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The grain honoured the activation token: that is the timeout, reported as one.
            throw new TimeoutException();
        }
    }

    /// <summary>Bounds a step of activation even when the grain ignores its token.</summary>
    private Task WithinActivationTimeout(Task step) =>
        step.IsCompleted ? step : step.WaitAsync(_catalog.Options.ActivationTimeout, _catalog.TimeProvider, CancellationToken.None);

    private void OnActivationCompleted(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            _catalog.Log.Activated(GrainId);
            lock (this)
            {
                if (_state == ActivationState.Activating)
                {
                    _state = ActivationState.Active;
                    PromoteInterleavingRequestsLocked();
                }
            }

            // Now Active: this lets waiting requests in, or starts a deactivation asked for meanwhile.
            OnWorkCompleted(this);
            return;
        }

        var exception = task.Exception?.InnerException ?? new OperationCanceledException("Activation was cancelled.");
        if (exception is Messaging.Remote.DuplicateActivationException duplicate)
        {
            HandOverToWinner(duplicate.Winner);
            return;
        }

        if (exception is TimeoutException)
        {
            exception = new TimeoutException($"Activation of grain {GrainId} did not complete within {_catalog.Options.ActivationTimeout} (Agents:Silo:ActivationTimeout).", exception);
        }

        _catalog.Log.ActivationFailed(GrainId, exception);
        DisposeTimers();
        EndWithoutRunning(request => _catalog.FailUndelivered(request, exception));
    }

    /// <summary>Another activation won the directory registration: this one never ran grain code; its calls go to the winner.</summary>
    private void HandOverToWinner(GrainDirectory.GrainAddress winner)
    {
        _catalog.Log.LostRegistration(GrainId, winner);
        EndWithoutRunning(request => _catalog.Cluster!.Forward(request, winner));
    }

    /// <summary>Activation did not complete: leave the directory, turn Invalid, and hand each waiting request to <paramref name="dispose"/>.</summary>
    private void EndWithoutRunning(Action<GrainRequest> dispose)
    {
        _catalog.RemoveActivation(this);
        List<object> waiting;
        lock (this)
        {
            _state = ActivationState.Invalid;
            EndLifecycleWorkLocked();
            waiting = DrainWaitingLocked();
        }

        foreach (var item in waiting)
        {
            if (item is GrainRequest request)
            {
                dispose(request);
            }
        }

        _catalog.OnActivationInvalid(this);
        SignalDeactivated();
    }

    /// <summary>Asks this activation to deactivate once it is idle.</summary>
    internal void RequestDeactivation(DeactivationReason reason)
    {
        lock (this)
        {
            if (_state is ActivationState.Invalid or ActivationState.Deactivating)
            {
                return;
            }

            Extras.DeactivationReason = reason;
            if (_state is ActivationState.Created or ActivationState.Activating || _running > 0)
            {
                // Deactivate when the current work is done (OnIdleLocked).
                _flags |= FlagDeactivateOnIdle;
                return;
            }

            BeginDeactivationLocked();
        }
    }

    /// <summary>Deactivates and completes once the activation is gone.</summary>
    internal Task DeactivateAsync(DeactivationReason reason)
    {
        Task completion;
        lock (this)
        {
            if (_state == ActivationState.Invalid)
            {
                return Task.CompletedTask;
            }

            completion = (Extras.Deactivated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        RequestDeactivation(reason);
        return completion;
    }

    private void OnIdleLocked()
    {
        if ((_flags & FlagDeactivateOnIdle) != 0 && _state == ActivationState.Active)
        {
            _flags &= unchecked((byte)~FlagDeactivateOnIdle);
            BeginDeactivationLocked();
        }
    }

    private void BeginDeactivationLocked()
    {
        if ((_flags & FlagLifecycleQueued) != 0)
        {
            return;
        }

        _flags |= FlagLifecycleQueued;
        _state = ActivationState.Deactivating;
        BeginWorkLocked(this);
        (_ready ??= new Queue<PostedWork>()).Enqueue(new PostedWork(static a => ((ActivationData)a!).RunDeactivation(), this));
        if (!_scheduled)
        {
            _scheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void RunDeactivation() =>
        TaskCompletion.Start(static a => a.DeactivateCoreAsync(), this, static (task, a) => a.OnDeactivationCompleted(task));

    private async Task DeactivateCoreAsync()
    {
        DisposeTimers();
        if (_grain is IGrainBase grain)
        {
            using var timeout = _catalog.CreateTimeout(_catalog.Options.DeactivationTimeout);
            var reason = _extras?.DeactivationReason ?? default;
            var deactivate = grain.OnDeactivateAsync(reason, timeout?.Token ?? CancellationToken.None);
            if (!deactivate.IsCompleted)
            {
                await deactivate.WaitAsync(_catalog.Options.DeactivationTimeout, _catalog.TimeProvider, CancellationToken.None);
            }
            else
            {
                await deactivate;
            }
        }
    }

    private void OnDeactivationCompleted(Task task)
    {
        if (!task.IsCompletedSuccessfully)
        {
            _catalog.Log.DeactivationFailed(GrainId, task.Exception?.InnerException ?? new OperationCanceledException());
        }
        else
        {
            _catalog.Log.Deactivated(GrainId, _extras?.DeactivationReason ?? default);
        }

        // Leave the directory first, then turn Invalid: senders that still hold this activation
        // either got in before (and are re-routed below) or see Invalid and resolve again.
        _catalog.RemoveActivation(this);
        List<object> leftovers;
        lock (this)
        {
            _state = ActivationState.Invalid;
            EndLifecycleWorkLocked();
            leftovers = DrainWaitingLocked();
        }

        foreach (var item in leftovers)
        {
            if (item is GrainRequest request)
            {
                _catalog.Redeliver(request);
            }
        }

        _catalog.OnActivationInvalid(this);
        SignalDeactivated();
    }

    /// <summary>Activation or deactivation ended without OnWorkCompleted (the activation is gone).</summary>
    private void EndLifecycleWorkLocked()
    {
        _running--;
        _exclusiveLink?.Close();
        _exclusiveLink = null;
        _exclusiveWork = null;
    }

    /// <summary>Interleaving requests that arrived during activation may skip the queue now that the grain is Active.</summary>
    private void PromoteInterleavingRequestsLocked()
    {
        if (_waiting is not { Count: > 0 } || !_waiting.Any(w => w is GrainRequest r && MayInterleave(r)))
        {
            return;
        }

        var remaining = new Queue<object>(_waiting.Count);
        foreach (var item in _waiting)
        {
            if (item is GrainRequest request && MayInterleave(request))
            {
                (_ready ??= new Queue<PostedWork>()).Enqueue(new PostedWork(null, request));
            }
            else
            {
                remaining.Enqueue(item);
            }
        }

        _waiting = remaining;
    }

    private List<object> DrainWaitingLocked()
    {
        var items = new List<object>();
        if (_waiting is not null)
        {
            items.AddRange(_waiting);
            _waiting.Clear();
        }

        if (_ready is not null)
        {
            // Interleaved requests that never started; posted continuations still run.
            var keep = new Queue<PostedWork>();
            foreach (var work in _ready)
            {
                if (work.Callback is null && work.State is GrainRequest request)
                {
                    items.Add(request);
                }
                else
                {
                    keep.Enqueue(work);
                }
            }

            _ready = keep;
        }

        return items;
    }

    private void DisposeTimers()
    {
        List<Timers.GrainTimer>? timers;
        lock (this)
        {
            timers = _extras?.Timers is { Count: > 0 } list ? [.. list] : null;
        }

        if (timers is not null)
        {
            foreach (var timer in timers)
            {
                timer.Dispose();
            }
        }
    }

    private void SignalDeactivated()
    {
        TaskCompletionSource? deactivated;
        lock (this)
        {
            deactivated = _extras?.Deactivated;
        }

        deactivated?.TrySetResult();
    }
}
