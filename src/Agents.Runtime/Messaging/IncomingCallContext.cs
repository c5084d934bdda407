using Agents.Invocation;
using Agents.Runtime.Catalog;

namespace Agents.Runtime.Messaging;

/// <summary>
/// An incoming call running through the silo's incoming filters (and the grain's own, when the
/// grain class implements <see cref="IIncomingGrainCallFilter"/>), inside the grain's turn. The
/// outcome, possibly replaced by a filter, is then reported to the activation as if there were no
/// filters.
/// </summary>
internal sealed class IncomingCallContext : GrainCallContextBase, IIncomingGrainCallContext, IRequestCallee
{
    private readonly IIncomingGrainCallFilter[] _filters;
    private readonly ActivationData _activation;

    private IncomingCallContext(GrainRequest request, object grain, IIncomingGrainCallFilter[] filters, ActivationData activation)
        : base(request, request.CallContext?.Chain?.Grain, filters.Length, asynchronousContinuations: false)
    {
        Grain = grain;
        _filters = filters;
        _activation = activation;
    }

    public object Grain { get; }

    public static void Run(ActivationData activation, GrainRequest request, object grain, IIncomingGrainCallFilter[] siloFilters)
    {
        var filters = grain is IIncomingGrainCallFilter own ? [.. siloFilters, own] : siloFilters;
        new IncomingCallContext(request, grain, filters, activation).RunPipeline();
    }

    protected override Task InvokeFilter(int index) => _filters[index].Invoke(this);

    protected override void InvokeCall()
    {
        Request.Callee = this;
        Request.Invoke(Grain);
    }

    void IRequestCallee.OnInvocationCompleted(GrainRequest request) => OnCallCompleted(request);

    protected override void Finish(Task pipeline)
    {
        if (!CallCompletion.IsCompleted)
        {
            // A filter returned without awaiting Invoke(): the grain method is still running. The
            // request is the activation's only once the method is done.
            CallCompletion.ContinueWith(static (_, s) => { var (c, p) = ((IncomingCallContext, Task))s!; c.Finish(p); }, (this, pipeline),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        Request.Callee = _activation;
        if (!pipeline.IsCompletedSuccessfully)
        {
            Request.InvocationException = pipeline.Exception?.InnerException ?? new OperationCanceledException();
        }
        else if (Request.TrySetBoxedResult(Result))
        {
            Request.InvocationException = null;
        }
        else
        {
            Request.InvocationException = new InvalidCastException(
                $"An incoming call filter set the result of {Method} to {(Result is null ? "null" : $"a {Result.GetType().Name}")}, which the method cannot return.");
        }

        _activation.OnInvocationCompleted(Request);
    }
}

/// <summary>
/// An outgoing call running through the outgoing filters before it is sent. The pipeline holds its
/// own share of the request (see GrainRequest's ownership rules), so the request cannot be
/// recycled while a filter may still look at it, and it completes the caller only for the use it
/// was created for.
/// </summary>
internal sealed class OutgoingCallContext : GrainCallContextBase, IOutgoingGrainCallContext, IRequestOutcomeSink
{
    private readonly IOutgoingGrainCallFilter[] _filters;
    private readonly Action<GrainRequest> _send;
    private readonly GrainCatalog _catalog;
    private readonly int _version;

    private OutgoingCallContext(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send, GrainCatalog catalog)
        : base(request, Core.RuntimeContext.Current?.GrainId, filters.Length, asynchronousContinuations: true)
    {
        _filters = filters;
        _send = send;
        _catalog = catalog;
        _version = request.Version;
    }

    public static void Run(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send, GrainCatalog catalog)
    {
        request.AddOwner();
        var context = new OutgoingCallContext(request, filters, send, catalog);
        request.OutcomeSink = context;
        context.RunPipeline();
    }

    protected override Task InvokeFilter(int index) => _filters[index].Invoke(this);

    protected override void InvokeCall() => _send(Request);

    void IRequestOutcomeSink.OnOutcome(GrainRequest request) => OnCallCompleted(request);

    protected override void Finish(Task pipeline)
    {
        if (!Request.Method.IsOneWay)
        {
            if (pipeline.IsCompletedSuccessfully)
            {
                Request.TryCompleteCallerWithBoxedResult(Result, _version);
            }
            else
            {
                Request.TryCompleteCaller(pipeline.Exception?.InnerException ?? new OperationCanceledException(), _version);
            }
        }

        if (!CallStarted)
        {
            // A filter answered without sending the call: the callee side's share is ours to drop.
            _catalog.PendingCalls.Untrack(Request);
            Request.ReleaseCallee();
        }

        Request.ReleaseOwner();
    }
}
