using Agents.Invocation;
using Agents.Runtime.Core;
using Agents.Serialization;
using Agents.Streams;

namespace Agents.Runtime.Streams;

/// <summary>Marks stream deliveries in diagnostics; grains never implement it.</summary>
internal interface IStreamConsumer : IGrainWithStringKey
{
}

/// <summary>
/// Delivers one stream event to a subscribed grain. It travels like any call - queued on the
/// activation, activating the grain if needed, one turn at a time - and finds the grain's observer
/// for the subscription when it runs. A subscriber on another silo gets it over the wire: the
/// subscription, the stream and the event (an item written by its runtime type, which must have a
/// codec on both sides, or the end or error of the stream) are its arguments.
/// </summary>
internal sealed class StreamDeliveryRequest : GrainRequest<NoResult>
{
    /// <summary>A reserved interface id no generated interface takes (generated ids are hashes of names, and this one is registered by the runtime itself).</summary>
    public const uint InterfaceId = 0xA6E7_5D01;

    public static readonly GrainMethodDescriptor Descriptor = new(typeof(IStreamConsumer), InterfaceId, "DeliverStreamEvent", 1, GrainMethodOptions.None, null, Rent);

    private const byte ItemKind = 0;
    private const byte CompletedKind = 1;
    private const byte ErrorKind = 2;

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

    public override void WriteArguments(ref WireWriter writer)
    {
        writer.WriteGuid(0, SubscriptionId);
        writer.WriteString(1, StreamId.Namespace);
        writer.WriteString(2, StreamId.Key);
        writer.WriteInt64(3, Event!.Token.SequenceNumber);
        switch (Event)
        {
            case StreamCompletedEvent:
                writer.WriteByte(4, CompletedKind);
                break;
            case StreamErrorEvent error:
                writer.WriteByte(4, ErrorKind);
                ExceptionCodec.WriteField(ref writer, 5, error.Error);
                break;
            default:
                writer.WriteByte(4, ItemKind);
                ObjectCodec.Instance.WriteField(ref writer, 5, Event.BoxedItem!);
                break;
        }

        writer.WriteEndObject();
    }

    public override void ReadArguments(ref WireReader reader)
    {
        string? streamNamespace = null, streamKey = null;
        long sequence = 0;
        byte kind = ItemKind;
        object? item = null;
        Exception? error = null;
        while (reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case 0u:
                    SubscriptionId = reader.ReadGuid(field);
                    break;
                case 1u:
                    streamNamespace = reader.ReadString(field);
                    break;
                case 2u:
                    streamKey = reader.ReadString(field);
                    break;
                case 3u:
                    sequence = reader.ReadInt64(field);
                    break;
                case 4u:
                    kind = reader.ReadByte(field);
                    break;
                case 5u when kind == ErrorKind:
                    error = ExceptionCodec.ReadValue(ref reader, field);
                    break;
                case 5u:
                    item = ObjectCodec.Instance.ReadValue(ref reader, field);
                    break;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        StreamId = StreamId.Create(streamNamespace ?? "", streamKey ?? "");
        var token = new StreamSequenceToken(sequence);
        Event = kind switch
        {
            CompletedKind => new StreamCompletedEvent(token),
            ErrorKind => new StreamErrorEvent(error ?? new InvalidOperationException("The stream failed."), token),
            _ => StreamItemEvent.ForBoxed(item, token),
        };
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
