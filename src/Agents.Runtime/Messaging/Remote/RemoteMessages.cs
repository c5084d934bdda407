using System.Collections.Immutable;
using Agents.Invocation;
using Agents.Runtime.Networking;
using Agents.Serialization;

namespace Agents.Runtime.Messaging.Remote;

/*
 * What travels in a Message frame between silos, and between a client and its gateway. The frame's
 * flags say which message it is; the body is a sequence of wire fields (Serialization/WireWriter),
 * so either side may add fields later and an older peer skips them.
 *
 *   Request   (flags Request, + OneWay when nobody waits)
 *     0  varint   correlation id (0 for one-way)
 *     1  object   target GrainId
 *     2  varint   interface id          3  varint  method id
 *     4  varint   response timeout in milliseconds (what is left of the caller's)
 *     5  varint   forward count
 *     6  object   request context: pairs of (string key, typed value), fields 2i and 2i+1
 *     7  object   call chain: grain ids, first caller first (they arrive as closed links, see below)
 *     8  object   the arguments, as the generated request writes them
 *
 *   Response  (flags Response)
 *     0  varint   correlation id
 *     1  object   the outcome, as the generated request writes it (result or exception)
 *
 *   System request / response (flags System [+ Response]) — the silos' own RPC (ping, directory):
 *     0  varint   correlation id        1  varint  operation (SystemOperation)
 *     2  object   the operation's payload (request) or its result (response)
 *     3  string   an error message instead of a result (response only)
 *
 * Call chains cross silos as closed links: a remote silo cannot know whether the work that made an
 * earlier call is still running, and an open link taken for granted could report a deadlock that
 * is not one. So a call cycle that spans silos ends in a response timeout, not a DeadlockException.
 */

/// <summary>Which message a Message frame carries (its frame flags).</summary>
internal static class MessageFlags
{
    public const FrameFlags Request = (FrameFlags)0x01;
    public const FrameFlags OneWay = (FrameFlags)0x02;
    public const FrameFlags Response = (FrameFlags)0x04;
    public const FrameFlags System = (FrameFlags)0x08;
}

/// <summary>The routing part of a received request, read before its arguments.</summary>
internal struct RequestHeader
{
    public long CorrelationId;
    public GrainId Target;
    public uint InterfaceId;
    public uint MethodId;
    public TimeSpan Timeout;
    public byte ForwardCount;
    public CallContextData? CallContext;
}

/// <summary>Writes and reads request and response bodies.</summary>
internal static class RemoteMessages
{
    private const uint CorrelationField = 0;
    private const uint TargetField = 1;
    private const uint InterfaceField = 2;
    private const uint MethodField = 3;
    private const uint TimeoutField = 4;
    private const uint ForwardField = 5;
    private const uint ContextField = 6;
    private const uint ChainField = 7;
    private const uint ArgumentsField = 8;
    private const uint OutcomeField = 1;

    public static void WriteRequest(ref WireWriter writer, GrainRequest request)
    {
        writer.WriteUInt64(CorrelationField, (ulong)request.CorrelationId);
        GrainIdCodec.Instance.WriteField(ref writer, TargetField, request.TargetId);
        writer.WriteUInt32(InterfaceField, request.Method.InterfaceId);
        writer.WriteUInt32(MethodField, request.Method.MethodId);
        if (request.Timeout > TimeSpan.Zero && request.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            writer.WriteUInt64(TimeoutField, (ulong)Math.Ceiling(request.Timeout.TotalMilliseconds));
        }

        if (request.ForwardCount != 0)
        {
            writer.WriteUInt32(ForwardField, request.ForwardCount);
        }

        if (request.CallContext is { } context)
        {
            WriteContext(ref writer, context);
        }

        writer.WriteStartObject(ArgumentsField);
        request.WriteArguments(ref writer);
    }

    private static void WriteContext(ref WireWriter writer, CallContextData context)
    {
        if (context.Items is { IsEmpty: false } items)
        {
            writer.WriteStartObject(ContextField);
            uint field = 0;
            var values = TypeManifest.GetCodec<object>();
            foreach (var (key, value) in items)
            {
                writer.WriteString(field++, key);
                values.WriteField(ref writer, field++, value);
            }

            writer.WriteEndObject();
        }

        if (context.Chain is { } chain)
        {
            writer.WriteStartObject(ChainField);
            uint field = 0;
            foreach (var grain in chain.ToList())
            {
                GrainIdCodec.Instance.WriteField(ref writer, field++, grain);
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>
    /// Reads a request's header up to its arguments; the reader is then positioned inside the
    /// arguments object, for the generated request's ReadArguments.
    /// </summary>
    /// <exception cref="SerializationException">The body is malformed or has no arguments.</exception>
    public static RequestHeader ReadRequestHeader(ref WireReader reader)
    {
        var header = default(RequestHeader);
        ImmutableDictionary<string, object>? items = null;
        CallChainLink? chain = null;
        while (reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case CorrelationField:
                    header.CorrelationId = (long)reader.ReadUInt64(field);
                    break;
                case TargetField:
                    header.Target = GrainIdCodec.Instance.ReadValue(ref reader, field);
                    break;
                case InterfaceField:
                    header.InterfaceId = reader.ReadUInt32(field);
                    break;
                case MethodField:
                    header.MethodId = reader.ReadUInt32(field);
                    break;
                case TimeoutField:
                    header.Timeout = TimeSpan.FromMilliseconds(reader.ReadUInt64(field));
                    break;
                case ForwardField:
                    header.ForwardCount = reader.ReadByte(field);
                    break;
                case ContextField:
                    items = ReadItems(ref reader, field);
                    break;
                case ChainField:
                    chain = ReadChain(ref reader, field);
                    break;
                case ArgumentsField:
                    reader.EnterObject(field);
                    if (header.Target.IsDefault)
                    {
                        throw new SerializationException("The request names no target grain.");
                    }

                    header.CallContext = items is null && chain is null ? null : new CallContextData(items, chain);
                    return header;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        throw new SerializationException("The request has no arguments field.");
    }

    private static ImmutableDictionary<string, object>? ReadItems(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        var builder = ImmutableDictionary.CreateBuilder<string, object>(StringComparer.Ordinal);
        var values = TypeManifest.GetCodec<object>();
        string? key = null;
        while (reader.ReadFieldHeader(out var item))
        {
            if ((item.Id & 1) == 0)
            {
                key = reader.ReadString(item);
            }
            else if (key is not null && values.ReadValue(ref reader, item) is { } value)
            {
                builder[key] = value;
                key = null;
            }
        }

        return builder.Count == 0 ? null : builder.ToImmutable();
    }

    private static CallChainLink? ReadChain(ref WireReader reader, WireField field)
    {
        reader.EnterObject(field);
        CallChainLink? chain = null;
        while (reader.ReadFieldHeader(out var item))
        {
            var grain = GrainIdCodec.Instance.ReadValue(ref reader, item);
            if (!grain.IsDefault)
            {
                chain = new CallChainLink(grain, chain);
            }
        }

        return chain;
    }

    /// <summary>Writes the response to a request whose invocation finished.</summary>
    public static void WriteResponse(ref WireWriter writer, GrainRequest request)
    {
        writer.WriteUInt64(CorrelationField, (ulong)request.ReplyCorrelationId);
        writer.WriteStartObject(OutcomeField);
        request.WriteResponse(ref writer);
    }

    /// <summary>The body of a response that fails call <paramref name="correlationId"/> with <paramref name="exception"/>.</summary>
    public static ReadOnlyMemory<byte> Failure(long correlationId, Exception exception)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(256);
        var writer = new WireWriter(output);
        writer.WriteUInt64(CorrelationField, (ulong)correlationId);
        writer.WriteStartObject(OutcomeField);
        GrainRequest.WriteExceptionResponse(ref writer, exception);
        writer.Flush();
        return output.WrittenMemory;
    }

    /// <summary>Reads a response's correlation id; the reader is then inside the outcome object.</summary>
    public static long ReadResponseHeader(ref WireReader reader)
    {
        long correlation = 0;
        while (reader.ReadFieldHeader(out var field))
        {
            switch (field.Id)
            {
                case CorrelationField:
                    correlation = (long)reader.ReadUInt64(field);
                    break;
                case OutcomeField:
                    reader.EnterObject(field);
                    return correlation;
                default:
                    reader.SkipField(field);
                    break;
            }
        }

        throw new SerializationException("The response has no outcome field.");
    }
}
