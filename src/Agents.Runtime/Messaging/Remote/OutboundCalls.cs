using System.Buffers;
using Agents.Invocation;
using Agents.Runtime.Networking;
using Agents.Serialization;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Messaging.Remote;

/*
 * Sending grain calls over connections and completing them from responses. Used by a silo (calls
 * to grains on other silos) and by a client (calls through its gateway).
 *
 * Ownership of a two-way request sent here (see GrainRequest's invariants): the caller keeps its
 * share; the callee share moves into the RemoteCallTable entry; and the send itself holds a third
 * share (AddOwner) from TrySend until the frame's body was written or its send failed - the writer
 * serializes the arguments later, on the connection's writer, and the entry may be ended meanwhile
 * (a timeout, the connection's loss), which must not recycle the object under the writer. A one-way
 * request has no entry and no waiting caller: its callee share is the send's share.
 *
 * Failures complete the caller with an exception a caller can act on: SiloUnavailableException
 * when the target cannot be reached or went away with the call in flight (the call may or may not
 * have run: the caller decides whether to retry), SerializationException when an argument cannot be
 * sent (nothing was sent), TimeoutException when no response came in time.
 */
internal sealed partial class OutboundCalls : IDisposable
{
    private static readonly FrameBodyWriter WriteRequestBody = static (state, output) =>
    {
        var request = (GrainRequest)state!;
        var writer = new WireWriter(output);
        RemoteMessages.WriteRequest(ref writer, request);
        writer.Flush();
        // Written: the send's share ends (for a one-way call, that is the callee share).
        request.ReleaseOwner();
    };

    private readonly FrameSendFailed _onRequestNotSent;
    private readonly PendingCallRegistry _pending;
    private readonly ILogger _logger;
    private readonly ITimer _sweep;

    public OutboundCalls(PendingCallRegistry pending, TimeProvider time, TimeSpan sweepPeriod, ILogger logger)
    {
        _pending = pending;
        _logger = logger;
        Table = new RemoteCallTable(time);
        _onRequestNotSent = OnRequestNotSent;
        _sweep = time.CreateTimer(static s => ((OutboundCalls)s!).Sweep(), this, sweepPeriod, sweepPeriod);
    }

    public RemoteCallTable Table { get; }

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="target"/> over <paramref name="connection"/>.
    /// The request's routing fields (target grain, timeout, context) are already set.
    /// </summary>
    /// <param name="connection">The connection to send on.</param>
    /// <param name="target">The silo at its other end.</param>
    /// <param name="request">The call.</param>
    /// <param name="deadline">When the call's table entry expires (a timestamp of the same TimeProvider); by default now plus its timeout.</param>
    public void Send(Connection connection, SiloAddress target, GrainRequest request, long? deadline = null)
    {
        var oneWay = request.Method.IsOneWay;
        if (!oneWay)
        {
            Table.Add(request, target, deadline);
            request.AddOwner();
        }

        if (!connection.TrySend(FrameKind.Message, oneWay ? MessageFlags.Request | MessageFlags.OneWay : MessageFlags.Request, request, WriteRequestBody, _onRequestNotSent))
        {
            OnRequestNotSent(request, new ConnectionClosedException($"The connection to {target} is closed."));
        }
    }

    /// <summary>Ends a request that could not be sent at all (no connection): its caller gets <paramref name="error"/>.</summary>
    public void FailUnsent(GrainRequest request, Exception error)
    {
        if (request.Method.IsOneWay)
        {
            LogOneWayNotSent(_logger, request.ToString(), error);
            request.ReleaseCallee();
            return;
        }

        request.InvocationException = error;
        Complete(request);
    }

    private void OnRequestNotSent(object? state, Exception error)
    {
        var request = (GrainRequest)state!;
        if (request.Method.IsOneWay)
        {
            LogOneWayNotSent(_logger, request.ToString(), error);
        }
        else if (Table.TryTake(request.CorrelationId, out var call))
        {
            request.InvocationException = error is ConnectionException
                ? new SiloUnavailableException($"{request} could not be sent to {call.Target}: {error.Message}", error)
                : error;
            Complete(request);
        }

        // The send's share (the callee share of a one-way call).
        request.ReleaseOwner();
    }

    /// <summary>A Response frame arrived: completes the call it answers, if it is still waiting.</summary>
    public void OnResponse(in ReadOnlySequence<byte> body)
    {
        using var bytes = new ContiguousBytes(body);
        var reader = new WireReader(bytes.Span);
        var correlation = RemoteMessages.ReadResponseHeader(ref reader);
        if (!Table.TryTake(correlation, out var call))
        {
            // Timed out, or failed with its connection, before the answer came.
            return;
        }

        var request = call.Request;
        try
        {
            request.ReadResponse(ref reader);
        }
        catch (SerializationException error)
        {
            LogBadResponse(_logger, request.ToString(), call.Target, error);
            request.InvocationException = error;
        }

        Complete(request);
    }

    /// <summary>Fails every call in flight to <paramref name="target"/> (the connection or the silo is gone).</summary>
    public void FailAll(SiloAddress target, bool anyGeneration, string reason)
    {
        foreach (var call in Table.TakeAll(target, anyGeneration))
        {
            call.Request.InvocationException = new SiloUnavailableException(
                $"{call.Request} was sent to {call.Target}, which {reason} before answering. The call may or may not have run.");
            Complete(call.Request);
        }
    }

    /// <summary>Fails every call in flight (shutdown).</summary>
    public void FailAll(string reason)
    {
        foreach (var call in Table.TakeAll())
        {
            call.Request.InvocationException = new SiloUnavailableException($"{call.Request} to {call.Target} was abandoned: {reason}.");
            Complete(call.Request);
        }
    }

    private void Sweep()
    {
        foreach (var call in Table.TakeExpired())
        {
            var request = call.Request;
            request.InvocationException = new TimeoutException($"{request} sent to {call.Target} got no response within {request.Timeout}.");
            Complete(request);
        }
    }

    /// <summary>Completes the caller (or the outcome sink standing in for it) from the request's outcome, and lets the callee share go.</summary>
    private void Complete(GrainRequest request)
    {
        _pending.Untrack(request);
        request.CompleteCallerFromInvocation();
        request.ReleaseCallee();
    }

    public void Dispose() => _sweep.Dispose();

    [LoggerMessage(3100, LogLevel.Warning, "One-way call {Call} was not sent")]
    private static partial void LogOneWayNotSent(ILogger logger, string call, Exception exception);

    [LoggerMessage(3101, LogLevel.Warning, "The response to {Call} from {Silo} could not be read; the call fails with the reason")]
    private static partial void LogBadResponse(ILogger logger, string call, SiloAddress silo, Exception exception);
}
