using Agents.Invocation;
using Agents.Runtime.Scheduler;

namespace Agents.Runtime.Messaging;

/// <summary>
/// A call travelling through a chain of filters. Each <see cref="Invoke"/> runs the next filter;
/// the last one runs the call itself and completes when its outcome is known. When the whole
/// chain is done, <see cref="Finish"/> hands the outcome - possibly replaced by a filter - on.
/// </summary>
internal abstract class GrainCallContextBase(GrainRequest request, GrainId? sourceId, int filterCount, bool asynchronousContinuations) : IGrainCallContext
{
    private int _next;
    private TaskCompletionSource? _inner;

    /// <summary>The call itself was started (the last filter called <see cref="Invoke"/>).</summary>
    protected bool CallStarted => _inner is not null;

    /// <summary>The call itself has finished, or was never started.</summary>
    protected Task CallCompletion => _inner?.Task ?? Task.CompletedTask;

    public GrainRequest Request { get; } = request;

    public GrainMethodDescriptor Method => Request.Method;

    public GrainId TargetId => Request.TargetId;

    public GrainId? SourceId { get; } = sourceId;

    public object? Result { get; set; }

    public Task Invoke()
    {
        if (_next < filterCount)
        {
            return InvokeFilter(_next++);
        }

        if (_inner is not null)
        {
            throw new InvalidOperationException($"A filter called Invoke() twice for {Method} on {TargetId}.");
        }

        _inner = new TaskCompletionSource(asynchronousContinuations ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
        InvokeCall();
        return _inner.Task;
    }

    /// <summary>Runs the whole chain, then <see cref="Finish"/>.</summary>
    protected void RunPipeline() =>
        TaskCompletion.Start(static c => c.Invoke(), this, static (pipeline, c) => c.Finish(pipeline));

    /// <summary>The call's own outcome is known: let the innermost <see cref="Invoke"/> complete.</summary>
    protected void OnCallCompleted(GrainRequest request)
    {
        if (request.InvocationException is { } exception)
        {
            _inner!.TrySetException(exception);
        }
        else
        {
            Result = request.BoxedResult;
            _inner!.TrySetResult();
        }
    }

    protected abstract Task InvokeFilter(int index);

    protected abstract void InvokeCall();

    protected abstract void Finish(Task pipeline);
}
