using System.Buffers;
using System.Collections.Concurrent;
using Agents.Runtime.Networking;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Messaging.Remote;

/*
 * The silos' own RPC (ping, grain directory), on the same connections as grain calls. A system
 * call is answered by the receiver's handler for its operation off the reader loop; its reply comes back on the
 * caller's outbound connection like a response. A system call fails with SiloUnavailableException
 * when the connection is lost and with TimeoutException when no reply came in time, so directory
 * work never waits on a dead silo for longer than its timeout.
 */
internal sealed partial class MessageCenter
{
    private readonly ConcurrentDictionary<long, (TaskCompletionSource<SystemPayload> Reply, SiloAddress Target)> _systemCalls = new();
    private long _lastSystemCall;

    /// <summary>Calls <paramref name="operation"/> on <paramref name="target"/> and returns its reply.</summary>
    /// <exception cref="SiloUnavailableException">The target cannot be reached or went away.</exception>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>.</exception>
    public async Task<SystemPayload> CallSystemAsync(SiloAddress target, SystemOperation operation, SystemPayload payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _lastSystemCall);
        var reply = new TaskCompletionSource<SystemPayload>(TaskCreationOptions.RunContinuationsAsynchronously);
        _systemCalls[id] = (reply, target);
        try
        {
            Connection connection;
            try
            {
                connection = await _connections.GetConnectionAsync(EndpointOf(target), cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionException error)
            {
                throw new SiloUnavailableException($"Silo {target} is unreachable: {error.Message}", error);
            }

            if (connection.RemoteHello!.Generation != target.Generation)
            {
                throw new SiloUnavailableException($"Silo {target} is gone; a later incarnation runs at its endpoint.");
            }

            if (!connection.TrySend(FrameKind.Message, MessageFlags.System, SystemMessages.Write(id, operation, payload)))
            {
                throw new SiloUnavailableException($"The connection to silo {target} closed.");
            }

            return await reply.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Silo {target} did not answer {operation} within {timeout}.");
        }
        finally
        {
            _systemCalls.TryRemove(id, out _);
        }
    }

    private void OnSystemRequest(Connection connection, in ReadOnlySequence<byte> body)
    {
        var (id, operation, request) = SystemMessages.Read(body);
        if (operation == SystemOperation.Ping)
        {
            // The answer carries this silo's activation count: activation-count placement learns peers' load from probes.
            connection.TrySend(FrameKind.Message, MessageFlags.System | MessageFlags.Response, SystemMessages.Write(id, operation, new SystemPayload(Value: _catalog.ActivationCount)));
            return;
        }

        _ = AnswerSystemAsync(connection, id, operation, request.Payload);
    }

    private async Task AnswerSystemAsync(Connection connection, long id, SystemOperation operation, SystemPayload payload)
    {
        byte[] answer;
        try
        {
            var handler = _systemHandlers.GetValueOrDefault(operation) ?? throw new InvalidOperationException($"Silo {Self} does not answer {operation}.");
            var result = await handler(operation, payload).ConfigureAwait(false);
            answer = SystemMessages.Write(id, operation, result);
        }
        catch (Exception error)
        {
            LogSystemCallFailed(_logger, operation, connection.Remote, error);
            answer = SystemMessages.Write(id, operation, SystemPayload.None, error.Message);
        }

        connection.TrySend(FrameKind.Message, MessageFlags.System | MessageFlags.Response, answer);
    }

    private void OnSystemResponse(in ReadOnlySequence<byte> body)
    {
        var (id, operation, reply) = SystemMessages.Read(body);
        if (!_systemCalls.TryRemove(id, out var call))
        {
            return;
        }

        if (reply.Error is { } error)
        {
            call.Reply.TrySetException(new AgentsException($"Silo {call.Target} failed {operation}: {error}"));
        }
        else
        {
            call.Reply.TrySetResult(reply.Payload);
        }
    }

    private void FailSystemCalls(SiloAddress silo, string reason)
    {
        foreach (var (id, call) in _systemCalls)
        {
            if (call.Target == silo && _systemCalls.TryRemove(id, out _))
            {
                call.Reply.TrySetException(new SiloUnavailableException($"Silo {silo} {reason} before answering."));
            }
        }
    }

    private void FailAllSystemCalls(string reason)
    {
        foreach (var (id, call) in _systemCalls)
        {
            if (_systemCalls.TryRemove(id, out _))
            {
                call.Reply.TrySetException(new SiloUnavailableException($"The call to silo {call.Target} was abandoned: {reason}."));
            }
        }
    }

    [LoggerMessage(3120, LogLevel.Warning, "System operation {Operation} from {Remote} failed")]
    private static partial void LogSystemCallFailed(ILogger logger, SystemOperation operation, string remote, Exception exception);
}
