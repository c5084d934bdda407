using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/// <summary>
/// Turns sockets into handshaken connections, both ways: connects to a peer, or takes a socket the
/// listener accepted. With <c>Agents:Networking:Tls:Enabled</c> the stream is wrapped in mutual TLS
/// before the hello exchange, so hellos travel encrypted and both ends are authenticated.
/// </summary>
internal sealed partial class ConnectionFactory
{
    private readonly NetworkingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SslStreamCertificateContext? _certificate;
    private readonly HashSet<string> _allowedThumbprints;

    public ConnectionFactory(NetworkingOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger("Agents.Runtime.Networking");
        _time = time ?? TimeProvider.System;
        _allowedThumbprints = new HashSet<string>(options.Tls.AllowedRemoteThumbprints, StringComparer.OrdinalIgnoreCase);
        if (options.Tls.Enabled)
        {
            var certificate = options.Tls.Certificate
                ?? X509CertificateLoader.LoadPkcs12FromFile(
                    options.Tls.CertificatePath ?? throw new InvalidOperationException($"{NetworkingOptions.SectionName}:Tls:CertificatePath is required when TLS is enabled."),
                    options.Tls.CertificatePassword);
            _certificate = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
        }
    }

    public NetworkingOptions Options => _options;

    public ILogger Logger => _logger;

    /// <summary>Connects to <paramref name="remote"/> and exchanges hellos; the connection is not started yet.</summary>
    public async Task<Connection> ConnectAsync(EndPoint remote, HelloMessage local, CancellationToken cancellationToken)
    {
        var socket = remote is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Tune(socket);
            using (var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
            {
                try
                {
                    await socket.ConnectAsync(remote, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new ConnectionException(
                        $"Connecting to {remote} timed out after {_options.ConnectTimeout} ({NetworkingOptions.SectionName}:{nameof(NetworkingOptions.ConnectTimeout)}).");
                }
                catch (SocketException exception)
                {
                    throw new ConnectionException($"Could not connect to {remote}: {exception.Message}", exception);
                }
            }

            if (Equals(socket.LocalEndPoint, socket.RemoteEndPoint))
            {
                // TCP simultaneous open: with nobody listening on a local port, the kernel may pick that
                // very port for our end and connect the socket to itself. Only a retry can help.
                throw new ConnectionException($"Could not connect to {remote}: nobody listens there (the socket connected to itself).");
            }

            var target = remote switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint address => address.Address.ToString(),
                _ => remote.ToString() ?? "",
            };
            var stream = await OpenStreamAsync(socket, server: false, target, cancellationToken).ConfigureAwait(false);
            var connection = new Connection(socket, stream, ConnectionDirection.Outbound, _options, _logger, _time);

            // The remote end of an outbound connection is always a silo: clients have no listener.
            await connection.HandshakeAsync(local, ConnectionRole.Silo, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// No Nagle delay; and a peer that vanished without closing is found within about DeadPeerTimeout: keep-alive probes
    /// on an idle connection (first after a third of it, then three more a ninth apart) and, on Linux, TCP_USER_TIMEOUT
    /// for data left unacknowledged. A dropped connection fails its calls at once, and the caller moves to another peer.
    /// </summary>
    internal void Tune(Socket socket)
    {
        socket.NoDelay = true;
        var deadPeer = _options.DeadPeerTimeout;
        if (deadPeer <= TimeSpan.Zero)
        {
            return;
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)(deadPeer.TotalSeconds / 3)));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, (int)(deadPeer.TotalSeconds / 9)));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        if (OperatingSystem.IsLinux())
        {
            const int IpProtoTcp = 6, TcpUserTimeout = 18; // <netinet/tcp.h>
            socket.SetRawSocketOption(IpProtoTcp, TcpUserTimeout, BitConverter.GetBytes((int)deadPeer.TotalMilliseconds));
        }
    }

    /// <summary>Takes an accepted socket through TLS (if enabled) and the hello exchange.</summary>
    public async Task<Connection> AcceptAsync(Socket socket, HelloMessage local, ConnectionRole acceptedRoles, CancellationToken cancellationToken)
    {
        try
        {
            Tune(socket);
            var stream = await OpenStreamAsync(socket, server: true, "", cancellationToken).ConfigureAwait(false);
            var connection = new Connection(socket, stream, ConnectionDirection.Inbound, _options, _logger, _time);
            await connection.HandshakeAsync(local, acceptedRoles, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Stream> OpenStreamAsync(Socket socket, bool server, string targetHost, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (_certificate is null)
        {
            return network;
        }

        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            if (server)
            {
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = _certificate,
                        ClientCertificateRequired = true,
                        RemoteCertificateValidationCallback = ValidateRemoteCertificate,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    },
                    linked.Token).ConfigureAwait(false);
            }
            else
            {
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = targetHost,
                        ClientCertificateContext = _certificate,
                        RemoteCertificateValidationCallback = ValidateRemoteCertificate,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    },
                    linked.Token).ConfigureAwait(false);
            }

            return tls;
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            var reason = exception is OperationCanceledException
                ? $"no TLS negotiation within {_options.HandshakeTimeout} ({NetworkingOptions.SectionName}:{nameof(NetworkingOptions.HandshakeTimeout)})"
                : exception.Message;
            LogTlsFailed(_logger, remote, reason);
            throw new HandshakeException($"TLS negotiation with {remote} failed: {reason}", refusedByPeer: false, exception);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Pinned thumbprints when configured (self-signed cluster certificates); otherwise the platform's verdict.</summary>
    private bool ValidateRemoteCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        return _allowedThumbprints.Count > 0
            ? _allowedThumbprints.Contains(certificate.GetCertHashString())
            : errors == SslPolicyErrors.None;
    }

    [LoggerMessage(3030, LogLevel.Warning, "TLS negotiation with {Remote} failed: {Reason}; closing the connection")]
    private static partial void LogTlsFailed(ILogger logger, string remote, string reason);
}
