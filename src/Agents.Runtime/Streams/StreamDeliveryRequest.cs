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
/// Delivers stream events to a subscribed grain: a batch of consecutive items, or the end or error
/// of the stream alone. It travels like any call - queued on the activation, activating the grain
/// if needed, one turn at a time - and finds the grain's observer for the subscription when it
/// runs, then hands it the events one after another, each awaited before the next, so the
/// observer sees the stream in order. A subscriber on another silo gets it over the wire: the
/// subscription, the stream, the first sequence number and the events (items written by their
/// runtime type, which must have a codec on both sides) are its arguments.
/// </summary>
internal sealed class StreamDeliveryRequest : GrainRequest<NoResult>
{
    /// <summary>A reserved interface id no generated interface takes (generated ids are hashes of names, and this one is registered by the runtime itself).</summary>
    public const uint InterfaceId = 0xA6E7_5D01;

    public static readonly GrainMethodDescriptor Descriptor = new(typeof(IStreamConsumer), InterfaceId, "DeliverStreamEvent", 1, GrainMethodOptions.None, null, Rent);

    // Items of any type, each written with its runtime type.
    private static readonly IFieldCodec<object?[]> ItemsCodec = TypeManifest.GetCodec<object?[]>();

    private const byte ItemKind = 0;
    private const byte CompletedKind = 1;
    private const byte ErrorKind = 2;

    public Guid SubscriptionId;
    public StreamId StreamId;

    /// <summary>Consecutive items of the stream, or one end-of-stream or error event.</summary>
    public StreamEvent[]? Events;

    public override GrainMethodDescriptor Method => Descriptor;

    public override int ArgumentCount => 1;

    public override object? GetArgument(int index) => index == 0 ? Events : throw new ArgumentOutOfRangeException(nameof(index));

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

        var events = Events!;
        OnInvoked(events.Length == 1 ? events[0].DeliverTo(observer, StreamId) : StreamEvents.DeliverInOrderAsync(observer, StreamId, events));
    }

    public override void WriteArguments(ref WireWriter writer)
    {
        writer.WriteGuid(0, SubscriptionId);
        writer.WriteString(1, StreamId.Namespace);
        writer.WriteString(2, StreamId.Key);
        var events = Events!;
        writer.WriteInt64(3, events[0].Sequence);
        switch (events[0])
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
                var items = new object?[events.Length];
                for (var i = 0; i < events.Length; i++)
                {
                    items[i] = events[i].BoxedItem;
                }

                ItemsCodec.WriteField(ref writer, 5, items);
                break;
        }

        writer.WriteEndObject();
    }

    public override void ReadArguments(ref WireReader reader)
    {
        string? streamNamespace = null, streamKey = null;
        long sequence = 0;
        byte kind = ItemKind;
        object?[]? items = null;
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
                    items = ItemsCodec.ReadValue(ref reader, field);
                    break;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        StreamId = StreamId.Create(streamNamespace ?? "", streamKey ?? "");
        Events = kind switch
        {
            CompletedKind => [new StreamCompletedEvent(sequence)],
            ErrorKind => [new StreamErrorEvent(error ?? new InvalidOperationException("The stream failed."), sequence)],
            _ => ItemEvents(items ?? [null], sequence),
        };
    }

    private static StreamEvent[] ItemEvents(object?[] items, long firstSequence)
    {
        var events = new StreamEvent[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            events[i] = StreamItemEvent.ForBoxed(items[i], firstSequence + i);
        }

        return events;
    }

    protected override void ClearArguments()
    {
        SubscriptionId = default;
        StreamId = default;
        Events = null;
    }

    protected override void ReturnToPool() => GrainRequestPool<StreamDeliveryRequest>.Return(this);
}

/// <summary>A reference to a grain for runtime-internal calls (no generated proxy).</summary>
internal sealed class SystemGrainReference(IGrainCallRuntime runtime, GrainId grainId) : GrainReference(runtime, grainId)
{
    public void SendSystemRequest(GrainRequest request) => Send(request);
}
