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
internal sealed class OutgoingCallContext : GrainCallContextBase, IOutgoingGrainCallContext, IRequestOutcomeSink
{
    private readonly IOutgoingGrainCallFilter[] _filters;
    private readonly Action<GrainRequest> _send;

    private OutgoingCallContext(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send)
        : base(request, Core.RuntimeContext.Current?.GrainId, filters.Length, asynchronousContinuations: true)
    {
        _filters = filters;
        _send = send;
    }

    public static void Run(GrainRequest request, IOutgoingGrainCallFilter[] filters, Action<GrainRequest> send)
    {
        var context = new OutgoingCallContext(request, filters, send);
        request.OutcomeSink = context;
        context.RunPipeline();
    }

    protected override Task InvokeFilter(int index) => _filters[index].Invoke(this);

    protected override void InvokeCall() => _send(Request);

    void IRequestOutcomeSink.OnOutcome(GrainRequest request) => OnCallCompleted(request);

    protected override void Finish(Task pipeline)
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
