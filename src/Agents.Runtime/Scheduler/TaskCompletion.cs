namespace Agents.Runtime.Scheduler;

/// <summary>
/// Runs a callback when a task finishes: inline when it already has (the common, synchronous
/// case, with no allocation), otherwise as a synchronous continuation. Callbacks only do
/// bookkeeping under locks or queue work, so running them on the completing thread is safe.
/// </summary>
internal static class TaskCompletion
{
    public static void Start<TState>(Func<TState, Task> start, TState state, Action<Task, TState> onCompleted)
    {
        Task task;
        try
        {
            task = start(state);
        }
        catch (Exception exception)
        {
            task = Task.FromException(exception);
        }

        if (task.IsCompleted)
        {
            onCompleted(task, state);
            return;
        }

        task.ContinueWith(
            static (t, s) =>
            {
                var (callback, callbackState) = ((Action<Task, TState>, TState))s!;
                callback(t, callbackState);
            },
            (onCompleted, state),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
