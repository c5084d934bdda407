using System.Buffers;
using Agents.Invocation;
using Agents.Runtime.Networking;
using Agents.Serialization;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Messaging.Remote;

/*
 * Calls that arrive over the wire. The request object is rented fresh (the caller's own request
 * object stays in the caller's process) and armed with two shares as usual: the callee share is
 * the activation's; the caller share belongs to the ReplySink, which stands in for the remote
 * caller - it gets the outcome, writes the response on the connection the call came in on, and
 * lets go once the response is written (or could not be).
 */
internal sealed partial class MessageCenter
{
    private void OnRequest(Connection connection, bool oneWay, in ReadOnlySequence<byte> body)
    {
        using var bytes = new ContiguousBytes(body);
        var reader = new WireReader(bytes.Span);
        RequestHeader header;
        try
        {
            header = RemoteMessages.ReadRequestHeader(ref reader);
        }
        catch (SerializationException error)
        {
            // Without a readable header there is nobody to answer: the peer is broken.
            throw new ProtocolException($"a request whose header cannot be read ({error.Message})");
        }

        if (!_catalog.Registry.TryGetMethod(header.InterfaceId, header.MethodId, out var method) || !method.CanCreateRequest)
        {
            Refuse(connection, oneWay, header, new GrainTypeNotFoundException(
                $"Silo {Self} has no grain method with interface id 0x{header.InterfaceId:X8} and method id 0x{header.MethodId:X8} (called on {header.Target}); " +
                "the caller was built with grain interfaces this silo does not have."));
            return;
        }

        var request = method.CreateRequest();
        try
        {
            request.ReadArguments(ref reader);
        }
        catch (SerializationException error)
        {
            request.ReleaseCaller();
            request.ReleaseCallee();
            Refuse(connection, oneWay, header, new SerializationException($"The arguments of {method} to {header.Target} were refused: {error.Message}", error));
            return;
        }

        request.TargetId = header.Target;
        request.CallContext = header.CallContext;
        request.Timeout = header.Timeout;
        request.ForwardCount = header.ForwardCount;
        if (oneWay)
        {
            request.ReleaseCaller();
        }
        else
        {
            request.ReplyTo = connection;
            request.ReplyCorrelationId = header.CorrelationId;
            request.OutcomeSink = _replies;
        }

        RouteIncoming(request, connection.RemoteHello!.Role == ConnectionRole.Client);
    }

    private void Refuse(Connection connection, bool oneWay, in RequestHeader header, Exception reason)
    {
        LogRefused(_logger, header.Target, connection.Remote, reason.Message);
        if (!oneWay)
        {
            connection.TrySend(FrameKind.Message, MessageFlags.Response, RemoteMessages.Failure(header.CorrelationId, reason));
        }
    }

    /// <summary>Stands in for remote callers: sends each outcome back where its call came from.</summary>
    private sealed class ReplySink(MessageCenter owner) : IRequestOutcomeSink
    {
        private static readonly FrameBodyWriter WriteBody = static (state, output) =>
        {
            var request = (GrainRequest)state!;
            var writer = new WireWriter(output);
            RemoteMessages.WriteResponse(ref writer, request);
            writer.Flush();
            request.ReleaseCaller();
        };

        private readonly FrameSendFailed _onFailed = owner.OnResponseNotSent;

        public void OnOutcome(GrainRequest request)
        {
            var connection = (Connection)request.ReplyTo!;
            if (!connection.TrySend(FrameKind.Message, MessageFlags.Response, request, WriteBody, _onFailed))
            {
                // The caller's connection is gone; so is the caller's interest.
                request.ReleaseCaller();
            }
        }
    }

    private void OnResponseNotSent(object? state, Exception error)
    {
        var request = (GrainRequest)state!;
        var connection = (Connection)request.ReplyTo!;
        if (error is not ConnectionException || error is FrameTooLargeException)
        {
            // The result could not be written (no codec, a disallowed type, too large): the caller
            // gets that reason instead of waiting for its timeout.
            LogResultNotSent(_logger, request.ToString(), error.Message);
            var failure = new SerializationException($"The result of {request} could not be sent back: {error.Message}", error);
            connection.TrySend(FrameKind.Message, MessageFlags.Response, RemoteMessages.Failure(request.ReplyCorrelationId, failure));
        }

        request.ReleaseCaller();
    }

    [LoggerMessage(3110, LogLevel.Warning, "Refused a call to {Grain} from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, GrainId grain, string remote, string reason);

    [LoggerMessage(3111, LogLevel.Warning, "The result of {Call} could not be sent back: {Reason}; the caller gets this reason")]
    private static partial void LogResultNotSent(ILogger logger, string call, string reason);
}
