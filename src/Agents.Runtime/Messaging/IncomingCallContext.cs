using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.Core;

namespace Agents.Runtime.Messaging;

/// <summary>
/// An incoming call running through the silo's incoming filters (and the grain's own, when the
/// grain class implements <see cref="IIncomingGrainCallFilter"/>), inside the grain's turn. The
/// innermost <see cref="Invoke"/> runs the method; the outcome - possibly replaced by a filter - is
/// then reported to the activation as if there were no filters.
/// </summary>
internal sealed class IncomingCallContext : IIncomingGrainCallContext, IRequestCallee
{
    private readonly IIncomingGrainCallFilter[] _filters;
    private readonly ActivationData _activation;
    private int _next;
    private TaskCompletionSource? _inner;

    private IncomingCallContext(GrainRequest request, object grain, IIncomingGrainCallFilter[] filters, ActivationData activation)
    {
        Request = request;
        Grain = grain;
        _filters = filters;
        _activation = activation;
        SourceId = request.CallContext?.Chain?.Grain;
    }

    public GrainRequest Request { get; }

    public object Grain { get; }

    public GrainMethodDescriptor Method => Request.Method;

    public GrainId TargetId => Request.TargetId;

    public GrainId? SourceId { get; }

    public object? Result { get; set; }

    public static void Run(ActivationData activation, GrainRequest request, object grain, IIncomingGrainCallFilter[] siloFilters)
    {
        var filters = grain is IIncomingGrainCallFilter own ? [.. siloFilters, own] : siloFilters;
        var context = new IncomingCallContext(request, grain, filters, activation);
        Task pipeline;
        try
        {
            pipeline = context.Invoke();
        }
        catch (Exception exception)
        {
            pipeline = Task.FromException(exception);
        }

        if (pipeline.IsCompleted)
        {
            context.Finish(pipeline);
        }
        else
        {
            pipeline.ContinueWith(static (t, c) => ((IncomingCallContext)c!).Finish(t), context, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public Task Invoke()
    {
        if (_next < _filters.Length)
        {
            return _filters[_next++].Invoke(this);
        }

        if (_inner is not null)
        {
            throw new InvalidOperationException($"A filter called Invoke() twice for {Method} on {TargetId}.");
        }

        _inner = new TaskCompletionSource();
        Request.Callee = this;
        Request.Invoke(Grain);
        return _inner.Task;
    }

    void IRequestCallee.OnInvocationCompleted(GrainRequest request)
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

    private void Finish(Task pipeline)
    {
        Request.Callee = _activation;
        if (pipeline.IsCompletedSuccessfully)
        {
            Request.InvocationException = null;
            Request.BoxedResult = Result;
        }
        else
        {
            Request.InvocationException = pipeline.Exception?.InnerException ?? new OperationCanceledException();
        }

        _activation.OnInvocationCompleted(Request);
    }
}

/// <summary>An outgoing call running through the outgoing filters before it is sent.</summary>
internal sealed class OutgoingCallContext : IOutgoingGrainCallContext, IRequestOutcomeSink
{
    private readonly IOutgoingGrainCallFilter[] _filters;
    private readonly Action<GrainRequest> _send;
    private int _next;
    private TaskCompletionSource? _inner;

    private OutgoingCallContext(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send)
    {
        Request = request;
        _filters = filters;
        _send = send;
        SourceId = RuntimeContext.Current?.GrainId;
    }

    public GrainRequest Request { get; }

    public GrainMethodDescriptor Method => Request.Method;

    public GrainId TargetId => Request.TargetId;

    public GrainId? SourceId { get; }

    public object? Result { get; set; }

    public static void Run(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send)
    {
        var context = new OutgoingCallContext(request, filters, send);
        request.OutcomeSink = context;
        Task pipeline;
        try
        {
            pipeline = context.Invoke();
        }
        catch (Exception exception)
        {
            pipeline = Task.FromException(exception);
        }

        if (pipeline.IsCompleted)
        {
            context.Finish(pipeline);
        }
        else
        {
            pipeline.ContinueWith(static (t, c) => ((OutgoingCallContext)c!).Finish(t), context, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public Task Invoke()
    {
        if (_next < _filters.Length)
        {
            return _filters[_next++].Invoke(this);
        }

        if (_inner is not null)
        {
            throw new InvalidOperationException($"A filter called Invoke() twice for {Method} on {TargetId}.");
        }

        _inner = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _send(Request);
        return _inner.Task;
    }

    void IRequestOutcomeSink.OnOutcome(GrainRequest request)
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

    private void Finish(Task pipeline)
    {
        if (pipeline.IsCompletedSuccessfully)
        {
            Request.TryCompleteCallerWithBoxedResult(Result);
        }
        else
        {
            Request.TryCompleteCaller(pipeline.Exception?.InnerException ?? new OperationCanceledException());
        }
    }
}
