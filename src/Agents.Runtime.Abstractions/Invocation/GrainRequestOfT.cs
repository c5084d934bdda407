using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Agents.Invocation;

/// <summary>
/// A call whose method produces <typeparamref name="TResult"/> (<see cref="NoResult"/> for
/// <c>Task</c>/<c>ValueTask</c>). It is the callee's invocation and the caller's awaitable at once;
/// see <see cref="GrainRequest"/> for the ownership rules.
/// </summary>
public abstract partial class GrainRequest<TResult> : GrainRequest, IValueTaskSource<TResult>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<TResult> _caller = new() { RunContinuationsAsynchronously = true };
    private TResult _result = default!;

    // The pending invocation, when the method did not complete synchronously.
    private Task? _pendingTask;
    private ValueTask<TResult> _pendingValueTask;
    private ValueTask _pendingVoidValueTask;
    private byte _pendingKind;
    private Action? _onPendingCompleted;

    private const byte PendingTask = 1;
    private const byte PendingValueTask = 2;
    private const byte PendingVoidValueTask = 3;

    internal override object? BoxedResult => _result;

    // ---- Callee side: the generated InvokeOn passes the method's task to one of these. ----

    /// <summary>The method returned <see cref="Task{TResult}"/>.</summary>
    protected void OnInvoked(Task<TResult> task)
    {
        if (task.IsCompleted)
        {
            CompleteFromTask(task);
            return;
        }

        _pendingTask = task;
        _pendingKind = PendingTask;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    /// <summary>The method returned <see cref="Task"/>.</summary>
    protected void OnInvoked(Task task)
    {
        if (task.IsCompleted)
        {
            CompleteFromTask(task);
            return;
        }

        _pendingTask = task;
        _pendingKind = PendingTask;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    /// <summary>The method returned <see cref="ValueTask{TResult}"/>.</summary>
    protected void OnInvoked(ValueTask<TResult> task)
    {
        if (task.IsCompleted)
        {
            TResult result;
            try
            {
                result = task.Result;
            }
            catch (Exception exception)
            {
                CompleteInvocation(exception);
                return;
            }

            _result = result;
            CompleteInvocation(null);
            return;
        }

        _pendingValueTask = task;
        _pendingKind = PendingValueTask;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    /// <summary>The method returned <see cref="ValueTask"/>.</summary>
    protected void OnInvoked(ValueTask task)
    {
        if (task.IsCompleted)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (Exception exception)
            {
                CompleteInvocation(exception);
                return;
            }

            CompleteInvocation(null);
            return;
        }

        _pendingVoidValueTask = task;
        _pendingKind = PendingVoidValueTask;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnPendingCompleted);
    }

    private Action OnPendingCompleted => _onPendingCompleted ??= CompletePending;

    private void CompletePending()
    {
        var kind = _pendingKind;
        _pendingKind = 0;
        switch (kind)
        {
            case PendingTask:
                var task = _pendingTask!;
                _pendingTask = null;
                CompleteFromTask(task);
                break;
            case PendingValueTask:
                var valueTask = _pendingValueTask;
                _pendingValueTask = default;
                TResult result;
                try
                {
                    result = valueTask.GetAwaiter().GetResult();
                }
                catch (Exception exception)
                {
                    CompleteInvocation(exception);
                    return;
                }

                _result = result;
                CompleteInvocation(null);
                break;
            case PendingVoidValueTask:
                var voidTask = _pendingVoidValueTask;
                _pendingVoidValueTask = default;
                try
                {
                    voidTask.GetAwaiter().GetResult();
                }
                catch (Exception exception)
                {
                    CompleteInvocation(exception);
                    return;
                }

                CompleteInvocation(null);
                break;
        }
    }

    private void CompleteFromTask(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            if (task is Task<TResult> typed)
            {
                _result = typed.Result;
            }

            CompleteInvocation(null);
            return;
        }

        // Unwrap the single exception as `await` would; cancellation surfaces as OperationCanceledException.
        Exception exception;
        try
        {
            task.GetAwaiter().GetResult();
            exception = new InvalidOperationException("The task faulted without an exception.");
        }
        catch (Exception e)
        {
            exception = e;
        }

        CompleteInvocation(exception);
    }

    /// <summary>Deep-copies a mutable result for a local caller. Generated when the result type needs it.</summary>
    protected virtual TResult CopyResult(TResult result) => result;

    // ---- Caller side. ----

    internal override bool CompleteCallerFromInvocation()
    {
        var sink = OutcomeSink;
        if (sink is not null)
        {
            sink.OnOutcome(this);
            return true;
        }

        var exception = InvocationException;
        if (exception is not null)
        {
            return TryCompleteCaller(exception);
        }

        var state = Volatile.Read(ref _callerState);
        if ((state & 1) != 0 || Interlocked.CompareExchange(ref _callerState, state | 1, state) != state)
        {
            return false;
        }

        TResult result;
        try
        {
            result = CopyResult(_result);
        }
        catch (Exception copyFailure)
        {
            _caller.SetException(copyFailure);
            return true;
        }

        _caller.SetResult(result);
        return true;
    }

    internal override bool TryCompleteCaller(Exception exception) => TryCompleteCaller(exception, Version);

    internal override bool TryCompleteCaller(Exception exception, int version)
    {
        var pending = version << 1;
        if (Interlocked.CompareExchange(ref _callerState, pending | 1, pending) != pending)
        {
            return false;
        }

        _caller.SetException(exception);
        return true;
    }

    internal override bool TryCompleteCallerWithBoxedResult(object? result, int version)
    {
        if (!TryUnbox(result, out var typed))
        {
            return TryCompleteCaller(WrongResultType(result!), version);
        }

        var pending = version << 1;
        if (Interlocked.CompareExchange(ref _callerState, pending | 1, pending) != pending)
        {
            return false;
        }

        _caller.SetResult(typed);
        return true;
    }

    internal override bool TrySetBoxedResult(object? value)
    {
        if (!TryUnbox(value, out var typed))
        {
            return false;
        }

        _result = typed;
        return true;
    }

    private static bool TryUnbox(object? value, out TResult typed)
    {
        switch (value)
        {
            case TResult t:
                typed = t;
                return true;
            case null when default(TResult) is null || typeof(TResult) == typeof(NoResult):
                typed = default!;
                return true;
            default:
                typed = default!;
                return false;
        }
    }

    internal InvalidCastException WrongResultType(object? value) => new(
        $"A call filter set the result of {Method} to {(value is null ? "null" : $"a {value.GetType().Name}")}, but the method returns {typeof(TResult).Name}.");

    private protected override void ResetCore()
    {
        _result = default!;
        _pendingTask = null;
        _pendingValueTask = default;
        _pendingVoidValueTask = default;
        _pendingKind = 0;
        _caller.Reset();
        Volatile.Write(ref _callerState, NextVersion() << 1);
    }

    /// <summary>The caller's awaitable for a <c>Task&lt;T&gt;</c> method.</summary>
    protected internal Task<TResult> AsTask() => new ValueTask<TResult>(this, _caller.Version).AsTask();

    /// <summary>The caller's awaitable for a <c>ValueTask&lt;T&gt;</c> method.</summary>
    protected internal ValueTask<TResult> AsValueTask() => new(this, _caller.Version);

    /// <summary>The caller's awaitable for a <c>Task</c> method.</summary>
    protected internal Task AsVoidTask() => new ValueTask(this, _caller.Version).AsTask();

    /// <summary>The caller's awaitable for a <c>ValueTask</c> method.</summary>
    protected internal ValueTask AsVoidValueTask() => new(this, _caller.Version);

    TResult IValueTaskSource<TResult>.GetResult(short token)
    {
        try
        {
            return _caller.GetResult(token);
        }
        finally
        {
            ReleaseCaller();
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _caller.GetResult(token);
        }
        finally
        {
            ReleaseCaller();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _caller.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _caller.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _caller.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _caller.OnCompleted(continuation, state, token, flags);
}
