using System.Buffers;

namespace Agents.Runtime.Networking;

/// <summary>What the layer above does with a connection's frames. One handler may serve many connections.</summary>
internal interface IConnectionHandler
{
    /// <summary>
    /// A <see cref="FrameKind.Message"/> frame arrived. Runs on the connection's reader loop, one
    /// frame at a time in arrival order. <paramref name="body"/> points into the connection's receive
    /// buffer and is valid only until this returns: decode or copy it before returning. Frames sent
    /// from here (on any connection) are batched and written when the current batch of received
    /// frames has been handled. An exception closes the connection.
    /// </summary>
    void OnFrame(Connection connection, FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>
    /// The connection is closed and its socket released; called exactly once per connection that
    /// completed its handshake. <paramref name="error"/> is null for an orderly local close, and
    /// otherwise says why (the peer went away, a protocol violation, a refusal by the peer...).
    /// Calls waiting for an answer over this connection will not get one.
    /// </summary>
    void OnClosed(Connection connection, Exception? error);
}

/// <summary>Writes a frame's body into the connection's output buffer. Runs on the connection's writer, not necessarily the sender's thread.</summary>
internal delegate void FrameBodyWriter(object? state, IBufferWriter<byte> output);

/// <summary>Told that a frame was not sent: its body writer threw, it was too large, or the connection closed before it was written.</summary>
internal delegate void FrameSendFailed(object? state, Exception error);

/// <summary>
/// A frame waiting to be written. Either <see cref="WriteBody"/> writes the body (called once,
/// when the frame is written) or, when it is null, <see cref="Body"/> is copied.
/// </summary>
internal readonly record struct OutgoingFrame(
    FrameKind Kind,
    FrameFlags Flags,
    object? State,
    FrameBodyWriter? WriteBody,
    FrameSendFailed? OnFailed,
    ReadOnlyMemory<byte> Body);
