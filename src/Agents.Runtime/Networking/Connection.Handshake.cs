using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/*
 * The hello exchange. The connecting side speaks first; the accepting side answers with its own
 * hello only once it accepted the caller's, and with an Error frame naming the reason otherwise.
 * So the connecting side always learns why it was refused, and the first frame it receives is a
 * clear yes or no. The connecting side checks the answer the same way (a misconfigured listener is
 * refused too, and told so). Before the exchange completes, frames are capped at
 * HelloMessage.HandshakeFrameLimit, and the whole exchange at Agents:Networking:HandshakeTimeout,
 * so an unauthenticated or silent peer costs at most 4 KiB and a few seconds.
 */
internal sealed partial class Connection
{
    /// <summary>
    /// Exchanges hellos and returns the peer's. On failure the connection is closed (after the
    /// refusal, if any, was sent) and a <see cref="ConnectionException"/> says why; the reason was
    /// logged on this side.
    /// </summary>
    internal async Task<HelloMessage> HandshakeAsync(HelloMessage local, ConnectionRole acceptedRoles, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        Exception failure;
        try
        {
            if (Direction == ConnectionDirection.Outbound)
            {
                SendHello(local);
            }

            var (header, body) = await ReadHandshakeFrameAsync(linked.Token).ConfigureAwait(false);
            var refusal = Accept(local, acceptedRoles, header, body);
            if (refusal is null)
            {
                return RemoteHello!;
            }

            failure = refusal;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogHandshakeTimedOut(_logger, Remote, _options.HandshakeTimeout);
            failure = new HandshakeException(
                $"No hello from {Remote} within {_options.HandshakeTimeout} ({NetworkingOptions.SectionName}:{nameof(NetworkingOptions.HandshakeTimeout)}).", refusedByPeer: false);
        }
        catch (OperationCanceledException exception)
        {
            failure = exception;
        }
        catch (ConnectionException exception)
        {
            failure = exception;
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
        {
            failure = new ConnectionClosedException($"The connection with {Remote} was lost during the handshake: {exception.Message}", exception);
        }

        await CloseAsync(failure, flush: true).ConfigureAwait(false);
        throw failure;
    }

    /// <summary>Checks the peer's first frame; null when it is an acceptable hello (then RemoteHello is set and, inbound, our hello is sent).</summary>
    private ConnectionException? Accept(HelloMessage local, ConnectionRole acceptedRoles, FrameHeader header, byte[] body)
    {
        switch (header.Kind)
        {
            case FrameKind.Error:
                var reason = DecodeReason(new(body));
                LogRefusedByPeer(_logger, Remote, reason);
                return new HandshakeException($"{Remote} refused the connection: {reason}", refusedByPeer: true);
            case FrameKind.Hello:
                break;
            default:
                return Refuse($"expected a hello frame first, got a {header.Kind} frame");
        }

        var remote = HelloMessage.TryRead(new(body), out var problem);
        if (remote is null)
        {
            return Refuse($"malformed hello: {problem}");
        }

        if (local.Check(remote, acceptedRoles) is { } refusal)
        {
            return Refuse(refusal);
        }

        if (Direction == ConnectionDirection.Inbound)
        {
            SendHello(local);
        }

        if (remote.Role == ConnectionRole.Silo && remote.TryGetSiloAddress(out var silo))
        {
            _remoteSilo = silo;
        }

        RemoteHello = remote;
        LogEstablished(_logger, Id, Direction, Remote, remote);
        return null;
    }

    private void SendHello(HelloMessage hello) =>
        _output.TrySend(new OutgoingFrame(FrameKind.Hello, FrameFlags.None, hello, static (s, w) => ((HelloMessage)s!).WriteTo(w), null, default));

    /// <summary>Reads the first frame, copied out of the pipe (it is small and read once per connection).</summary>
    private async Task<(FrameHeader Header, byte[] Body)> ReadHandshakeFrameAsync(CancellationToken cancellationToken)
    {
        var limit = Math.Min(HelloMessage.HandshakeFrameLimit, _options.MaxFrameSize);
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var status = FrameParser.TryRead(ref buffer, limit, out var header, out var body);
            switch (status)
            {
                case FrameStatus.Complete:
                    var copy = body.ToArray();
                    _input.AdvanceTo(buffer.Start);
                    return (header, copy);
                case FrameStatus.TooLarge or FrameStatus.Malformed:
                    _input.AdvanceTo(buffer.Start);
                    throw OnBadFrame(status, header, limit, handshake: true);
                default:
                    if (result.IsCompleted)
                    {
                        _input.AdvanceTo(buffer.End);
                        throw new ConnectionClosedException($"{Remote} closed the connection during the handshake.");
                    }

                    _input.AdvanceTo(buffer.Start, buffer.End);
                    break;
            }
        }
    }

    [LoggerMessage(3003, LogLevel.Warning, "The connection to {Remote} was refused by the remote end: {Reason}")]
    private static partial void LogRefusedByPeer(ILogger logger, string remote, string reason);

    [LoggerMessage(3004, LogLevel.Warning, "No hello from {Remote} within {Timeout} (Agents:Networking:HandshakeTimeout); closing the connection")]
    private static partial void LogHandshakeTimedOut(ILogger logger, string remote, TimeSpan timeout);

    [LoggerMessage(3005, LogLevel.Debug, "Connection {Id} ({Direction}) with {Remote} established: {Peer}")]
    private static partial void LogEstablished(ILogger logger, long id, ConnectionDirection direction, string remote, HelloMessage peer);
}
