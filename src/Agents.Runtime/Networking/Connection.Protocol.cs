using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/*
 * Protocol violations and refusals. Whatever the violation (a frame over the limit, a malformed
 * header, a frame out of place), this end logs it with the remote endpoint, queues an Error frame
 * naming it, and closes the connection after flushing that frame (best effort: a peer that keeps
 * sending may see a reset instead). Nothing else is affected: the listener and other connections
 * go on.
 */
internal sealed partial class Connection
{
    /// <summary>Handles a Hello or Error frame after the handshake; returns why to close, if so.</summary>
    private ConnectionException? OnControlFrame(FrameHeader header, ReadOnlySequence<byte> body)
    {
        if (header.Kind == FrameKind.Error)
        {
            var reason = DecodeReason(body);
            LogClosedByPeerWithError(_logger, Remote, reason);
            return new ConnectionClosedException($"{Remote} closed the connection: {reason}");
        }

        return Refuse("a second hello frame arrived after the handshake");
    }

    /// <summary>Logs a frame that cannot be read, queues an Error frame naming it, and returns the close cause.</summary>
    private ConnectionException OnBadFrame(FrameStatus status, FrameHeader header, int limit, bool handshake)
    {
        string reason;
        if (status == FrameStatus.TooLarge)
        {
            reason = handshake
                ? $"a frame of {header.Length} bytes arrived before the handshake completed; the limit then is {limit} bytes"
                : $"a frame of {header.Length} bytes exceeds the limit of {limit} bytes ({NetworkingOptions.SectionName}:{nameof(NetworkingOptions.MaxFrameSize)})";
            LogFrameTooLarge(_logger, header.Length, Remote, limit, handshake ? "before the handshake" : $"{NetworkingOptions.SectionName}:{nameof(NetworkingOptions.MaxFrameSize)}");
        }
        else
        {
            reason = $"malformed frame header: {FrameParser.Describe(header)}";
            LogMalformedFrame(_logger, Remote, FrameParser.Describe(header));
        }

        SendError(reason);
        return new ConnectionException($"Closed the connection with {Remote}: {reason}.");
    }

    /// <summary>Logs a refusal, queues an Error frame with the reason, and returns the close cause.</summary>
    private ConnectionException Refuse(string reason)
    {
        LogRefused(_logger, Remote, reason);
        SendError(reason);
        return new HandshakeException($"Refused the connection with {Remote}: {reason}.", refusedByPeer: false);
    }

    private void SendError(string reason) =>
        _output.TrySend(new OutgoingFrame(FrameKind.Error, FrameFlags.None, reason, static (s, w) => WriteReason((string)s!, w), null, default));

    private static void WriteReason(string reason, IBufferWriter<byte> output)
    {
        // Bounded so that the peer reads it even during its handshake (HandshakeFrameLimit).
        var text = reason.Length > 1000 ? reason[..1000] : reason;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static string DecodeReason(ReadOnlySequence<byte> body) =>
        body.IsEmpty ? "(no reason given)" : Encoding.UTF8.GetString(body.Length > 4000 ? body.Slice(0, 4000) : body);

    [LoggerMessage(3000, LogLevel.Warning, "A frame of {Size} bytes from {Remote} exceeds the limit of {Limit} bytes ({LimitSource}); closing the connection")]
    private static partial void LogFrameTooLarge(ILogger logger, uint size, string remote, int limit, string limitSource);

    [LoggerMessage(3001, LogLevel.Warning, "Malformed frame header from {Remote}: {Problem}; closing the connection")]
    private static partial void LogMalformedFrame(ILogger logger, string remote, string? problem);

    [LoggerMessage(3002, LogLevel.Warning, "Refused the connection with {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "{Remote} closed the connection with an error: {Reason}")]
    private static partial void LogClosedByPeerWithError(ILogger logger, string remote, string reason);
}
