using Agents.Invocation;
using Agents.Runtime.Core;
using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>Marks stream deliveries in diagnostics; grains never implement it.</summary>
internal interface IStreamConsumer : IGrainWithStringKey
{
}

/// <summary>
/// Delivers one stream event to a subscribed grain. It travels like any call - queued on the
/// activation, activating the grain if needed, one turn at a time - and finds the grain's observer
/// for the subscription when it runs.
/// </summary>
internal sealed class StreamDeliveryRequest : GrainRequest<NoResult>
{
    private static readonly GrainMethodDescriptor Descriptor = new(typeof(IStreamConsumer), 0, "DeliverStreamEvent", 0, GrainMethodOptions.None, null);

    public Guid SubscriptionId;
    public StreamId StreamId;
    public StreamEvent? Event;

    public override GrainMethodDescriptor Method => Descriptor;

    public override int ArgumentCount => 1;

    public override object? GetArgument(int index) => index == 0 ? Event : throw new ArgumentOutOfRangeException(nameof(index));

    public static StreamDeliveryRequest Rent() => GrainRequestPool<StreamDeliveryRequest>.Rent();

    public Task AsTaskForCaller() => AsVoidTask();

    protected override void InvokeOn(object grain)
    {
        var activation = RuntimeContext.Current
            ?? throw new InvalidOperationException("A stream delivery ran outside its activation.");
        if (!activation.TryGetStreamObserver(SubscriptionId, out var observer))
        {
            throw new InvalidOperationException(
                $"Grain {activation.GrainId} received an event of stream {StreamId} but has no observer for that subscription. " +
                "Subscribe to the stream in OnActivateAsync (implicit subscriptions) or resume the subscription handle there (explicit ones).");
        }

        OnInvoked(Event!.DeliverTo(observer, StreamId));
    }

    protected override void ClearArguments()
    {
        SubscriptionId = default;
        StreamId = default;
        Event = null;
    }

    protected override void ReturnToPool() => GrainRequestPool<StreamDeliveryRequest>.Return(this);
}

/// <summary>A reference to a grain for runtime-internal calls (no generated proxy).</summary>
internal sealed class SystemGrainReference(IGrainCallRuntime runtime, GrainId grainId) : GrainReference(runtime, grainId)
{
    public void SendSystemRequest(GrainRequest request) => Send(request);
}
