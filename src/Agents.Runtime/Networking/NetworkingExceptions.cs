using System.Net;

namespace Agents.Runtime.Networking;

/// <summary>A connection failed, was refused or closed; the message names the remote end.</summary>
internal class ConnectionException(string message, Exception? innerException = null) : AgentsException(message, innerException);

/// <summary>The connection is closed; frames not yet written to the socket were not sent.</summary>
internal sealed class ConnectionClosedException(string message, Exception? innerException = null) : ConnectionException(message, innerException);

/// <summary>The hello exchange failed: the peer refused us, we refused the peer, or it did not answer in time.</summary>
internal sealed class HandshakeException(string message, bool refusedByPeer, Exception? innerException = null) : ConnectionException(message, innerException)
{
    /// <summary>True when the remote end sent the refusal; false when this end refused or gave up.</summary>
    public bool RefusedByPeer { get; } = refusedByPeer;
}

/// <summary>The endpoint is unreachable right now; the connection manager keeps retrying in the background.</summary>
internal sealed class ConnectionUnavailableException(EndPoint remote, Exception? lastError)
    : ConnectionException($"No connection to {remote}: {lastError?.Message ?? "not connected"} Reconnection is retried in the background.", lastError)
{
    public EndPoint Remote { get; } = remote;
}

/// <summary>A frame to send is bigger than <c>Agents:Networking:MaxFrameSize</c>; it was not sent, the connection is unaffected.</summary>
internal sealed class FrameTooLargeException(long size, int limit)
    : ConnectionException($"A frame of at least {size} bytes exceeds the limit of {limit} bytes ({NetworkingOptions.SectionName}:{nameof(NetworkingOptions.MaxFrameSize)}); it was not sent.")
{
    public long Size { get; } = size;

    public int Limit { get; } = limit;
}

/// <summary>The peer sent a well-formed frame that carries no message this protocol has; the connection is closed with this reason.</summary>
internal sealed class ProtocolException(string problem) : ConnectionException($"Protocol violation: {problem}.");
