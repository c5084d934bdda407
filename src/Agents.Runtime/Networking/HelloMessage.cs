using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Agents.Runtime.Networking;

/// <summary>What kind of process is at the other end of a connection.</summary>
[Flags]
internal enum ConnectionRole : byte
{
    None = 0,
    Silo = 1,
    Client = 2,
}

/*
 * Body of a Hello frame (little-endian):
 *
 *   uint16  protocol version   always first, so any version can read it and refuse politely
 *   uint8   role               ConnectionRole
 *   int64   generation         the sender's epoch: a process restarted on the same endpoint differs
 *   uint8   cluster id length, then that many UTF-8 bytes
 *   uint8   address length,    then that many UTF-8 bytes ("host:port"; a client puts its name)
 *
 * Strings are capped at 255 bytes, so a hello is at most ~525 bytes and fits the 4 KiB limit that
 * applies to every frame before the handshake is done.
 */

/// <summary>The first frame each end of a connection sends: who it is and what it speaks.</summary>
internal sealed record HelloMessage(ushort ProtocolVersion, string ClusterId, string Address, long Generation, ConnectionRole Role)
{
    /// <summary>The protocol this build speaks. Peers must speak the same.</summary>
    public const ushort CurrentProtocolVersion = 1;

    /// <summary>Frames exchanged before the handshake completes are capped at this size, whatever MaxFrameSize says.</summary>
    public const int HandshakeFrameLimit = 4096;

    private const int MaxStringBytes = byte.MaxValue;

    /// <summary>A hello for this build's protocol version.</summary>
    public static HelloMessage Create(string clusterId, string address, long generation, ConnectionRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterId);
        ArgumentNullException.ThrowIfNull(address);
        if (Encoding.UTF8.GetByteCount(clusterId) > MaxStringBytes || Encoding.UTF8.GetByteCount(address) > MaxStringBytes)
        {
            throw new ArgumentException($"Cluster id and address must each fit in {MaxStringBytes} UTF-8 bytes.");
        }

        return new HelloMessage(CurrentProtocolVersion, clusterId, address, generation, role);
    }

    /// <summary>A silo's hello: its endpoint and generation.</summary>
    public static HelloMessage ForSilo(string clusterId, SiloAddress silo) => Create(clusterId, silo.Endpoint, silo.Generation, ConnectionRole.Silo);

    public void WriteTo(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(11 + (2 * (1 + MaxStringBytes)));
        BinaryPrimitives.WriteUInt16LittleEndian(span, ProtocolVersion);
        span[2] = (byte)Role;
        BinaryPrimitives.WriteInt64LittleEndian(span[3..], Generation);
        var written = 11;
        written += WriteString(span[written..], ClusterId);
        written += WriteString(span[written..], Address);
        output.Advance(written);
    }

    /// <summary>
    /// Reads a hello. The version is read first and returned alone when it is not ours, since the
    /// rest of the layout may differ; <paramref name="problem"/> says what is wrong with a body that
    /// cannot be read.
    /// </summary>
    public static HelloMessage? TryRead(ReadOnlySequence<byte> body, out string? problem)
    {
        Span<byte> bytes = stackalloc byte[HandshakeFrameLimit];
        if (body.Length < 2 || body.Length > bytes.Length)
        {
            problem = $"a hello body of {body.Length} bytes is not valid";
            return null;
        }

        body.CopyTo(bytes);
        bytes = bytes[..(int)body.Length];
        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (version != CurrentProtocolVersion)
        {
            problem = null;
            return new HelloMessage(version, "", "", 0, ConnectionRole.None);
        }

        var offset = 11;
        if (bytes.Length < offset
            || !TryReadString(bytes, ref offset, out var clusterId)
            || !TryReadString(bytes, ref offset, out var address))
        {
            problem = "the hello body is truncated";
            return null;
        }

        if (offset != bytes.Length)
        {
            problem = $"the hello body has {bytes.Length - offset} unexpected trailing bytes";
            return null;
        }

        problem = null;
        return new HelloMessage(version, clusterId, address, BinaryPrimitives.ReadInt64LittleEndian(bytes[3..]), (ConnectionRole)bytes[2]);
    }

    /// <summary>Why a peer's hello is refused, or null when it is acceptable.</summary>
    public string? Check(HelloMessage remote, ConnectionRole acceptedRoles)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.ProtocolVersion != ProtocolVersion)
        {
            return $"protocol version {remote.ProtocolVersion} is not supported (this end speaks version {ProtocolVersion})";
        }

        if (!string.Equals(remote.ClusterId, ClusterId, StringComparison.Ordinal))
        {
            return $"cluster id '{remote.ClusterId}' does not match this cluster ('{ClusterId}')";
        }

        if (remote.Role is not (ConnectionRole.Silo or ConnectionRole.Client) || (remote.Role & acceptedRoles) == 0)
        {
            return $"role {remote.Role} is not accepted on this endpoint (accepted: {acceptedRoles})";
        }

        return null;
    }

    /// <summary>
    /// The sender as a silo address: a silo's hello carries <c>host:port</c> and its generation. Only
    /// meaningful for silos (and gateways). Parses (and allocates) on every read: hot paths use
    /// <see cref="Connection.RemoteSilo"/>, parsed once per connection.
    /// </summary>
    public SiloAddress SiloAddress => TryGetSiloAddress(out var silo)
        ? silo
        : throw new InvalidOperationException($"The hello of {this} does not carry a silo endpoint.");

    /// <summary>The sender as a silo address, when <see cref="Address"/> is a <c>host:port</c> endpoint.</summary>
    public bool TryGetSiloAddress(out SiloAddress silo)
    {
        var colon = Address.LastIndexOf(':');
        if (colon > 0 && int.TryParse(Address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            silo = new SiloAddress(Address[..colon], port, Generation);
            return true;
        }

        silo = default;
        return false;
    }

    /// <summary>The endpoint to connect to for <paramref name="host"/>: an IP endpoint for an address, a DNS endpoint for a name.</summary>
    public static System.Net.EndPoint EndPointOf(string host, int port) =>
        System.Net.IPAddress.TryParse(host, out var ip) ? new System.Net.IPEndPoint(ip, port) : new System.Net.DnsEndPoint(host, port);

    public override string ToString() => $"{Role} {Address}@{Generation} (cluster '{ClusterId}', protocol {ProtocolVersion})";

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination.Slice(1, MaxStringBytes));
        destination[0] = (byte)length;
        return 1 + length;
    }

    private static bool TryReadString(ReadOnlySpan<byte> source, ref int offset, out string value)
    {
        value = "";
        if (offset >= source.Length || offset + 1 + source[offset] > source.Length)
        {
            return false;
        }

        var length = source[offset];
        value = Encoding.UTF8.GetString(source.Slice(offset + 1, length));
        offset += 1 + length;
        return true;
    }
}
