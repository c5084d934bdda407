using System.Net;
using System.Security.Cryptography.X509Certificates;
using Agents.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Networking;

/// <summary>
/// Settings of the TCP transport between silos and from clients to a silo's gateway. Bound from
/// configuration section <c>Agents:Networking</c>; every property has a named default and is
/// validated at start-up by <see cref="NetworkingOptionsValidator"/>.
/// </summary>
public sealed class NetworkingOptions
{
    public const string SectionName = "Agents:Networking";

    public const int DefaultMaxFrameSize = 16 * 1024 * 1024;
    public const int MinMaxFrameSize = 1024;
    public const int MaxMaxFrameSize = 1024 * 1024 * 1024;
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultReconnectInitialDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultReconnectMaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>The IP address the silo listens on and advertises to its peers.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The host name or address peers and clients use to reach this silo, when it differs from
    /// <see cref="ListenAddress"/>. Empty: <see cref="ListenAddress"/>, or, when that is 0.0.0.0 (or ::), this
    /// machine's first address that is neither loopback nor link-local (what a container needs).
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Port for connections from other silos; 0 picks a free port at start-up.</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary>Port for connections from clients; 0 picks a free port at start-up.</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>
    /// The largest frame (header and body, in bytes) a connection accepts or sends. A peer announcing
    /// a bigger frame is disconnected before anything is allocated for it.
    /// </summary>
    public int MaxFrameSize { get; set; } = DefaultMaxFrameSize;

    /// <summary>Upper bound for opening the TCP connection to a peer.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// How long a peer that has vanished without closing (its machine powered off, a middlebox dropped the flow) may
    /// hold a connection before it is dropped, so calls fail over instead of timing out one by one: an idle connection
    /// is probed with TCP keep-alives after a third of this and dropped once they go unanswered; on Linux, data left
    /// unacknowledged for this long drops it too (TCP_USER_TIMEOUT). Zero turns both off.
    /// </summary>
    public TimeSpan DeadPeerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound for the TLS negotiation and the hello exchange on a new connection; a silent peer is dropped after it.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>Delay before the first reconnection attempt after a connection was lost; it doubles per failed attempt.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = DefaultReconnectInitialDelay;

    /// <summary>Cap of the reconnection delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = DefaultReconnectMaxDelay;

    /// <summary>Mutual TLS on every connection (section <c>Agents:Networking:Tls</c>).</summary>
    public NetworkingTlsOptions Tls { get; set; } = new();
}

/// <summary>
/// Mutual TLS between silos and clients. Both ends present a certificate and check the other's:
/// against <see cref="AllowedRemoteThumbprints"/> when it is not empty (certificate pinning, which
/// suits a self-signed cluster certificate), otherwise against the machine's trust store.
/// </summary>
public sealed class NetworkingTlsOptions
{
    /// <summary>Turns TLS on. Every member of a cluster must agree: a TLS and a plain end cannot talk.</summary>
    public bool Enabled { get; set; }

    /// <summary>A PKCS#12 (.pfx) file holding this end's certificate and private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>This end's certificate, set in code; takes precedence over <see cref="CertificatePath"/>.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>SHA-1 thumbprints (hex) of the certificates accepted from peers; empty = any certificate the trust store accepts.</summary>
    public IList<string> AllowedRemoteThumbprints { get; } = [];
}

/// <summary>Rejects bad <see cref="NetworkingOptions"/> at start-up with a message naming the configuration key.</summary>
public sealed class NetworkingOptionsValidator : IValidateOptions<NetworkingOptions>
{
    public ValidateOptionsResult Validate(string? name, NetworkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(NetworkingOptions.SectionName);

        if (!IPAddress.TryParse(options.ListenAddress, out _))
        {
            failures.Add(nameof(options.ListenAddress), $"must be an IP address such as 127.0.0.1 (was '{options.ListenAddress}').");
        }

        Port(options.SiloPort, nameof(options.SiloPort));
        Port(options.GatewayPort, nameof(options.GatewayPort));
        if (options.SiloPort != 0 && options.SiloPort == options.GatewayPort)
        {
            failures.Add(nameof(options.GatewayPort), $"must differ from {failures.Key(nameof(options.SiloPort))} (both are {options.SiloPort}).");
        }

        if (options.MaxFrameSize is < NetworkingOptions.MinMaxFrameSize or > NetworkingOptions.MaxMaxFrameSize)
        {
            failures.Add(nameof(options.MaxFrameSize), $"must be between {NetworkingOptions.MinMaxFrameSize} and {NetworkingOptions.MaxMaxFrameSize} bytes (was {options.MaxFrameSize}).");
        }

        failures.Positive(options.ConnectTimeout, nameof(options.ConnectTimeout));
        failures.Positive(options.HandshakeTimeout, nameof(options.HandshakeTimeout));
        if (options.DeadPeerTimeout != TimeSpan.Zero && options.DeadPeerTimeout < TimeSpan.FromSeconds(3))
        {
            failures.Add(nameof(options.DeadPeerTimeout), $"must be zero (off) or at least 3 seconds (was {options.DeadPeerTimeout}).");
        }
        failures.Positive(options.ReconnectInitialDelay, nameof(options.ReconnectInitialDelay));
        failures.Positive(options.ReconnectMaxDelay, nameof(options.ReconnectMaxDelay));
        if (options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            failures.Add(nameof(options.ReconnectMaxDelay), $"must not be shorter than {failures.Key(nameof(options.ReconnectInitialDelay))} ({options.ReconnectMaxDelay} < {options.ReconnectInitialDelay}).");
        }

        var tls = options.Tls;
        if (tls is { Enabled: true, Certificate: null })
        {
            if (string.IsNullOrWhiteSpace(tls.CertificatePath))
            {
                failures.Add("Tls:CertificatePath", $"required when {failures.Key("Tls:Enabled")} is true.");
            }
            else if (!File.Exists(tls.CertificatePath))
            {
                failures.Add("Tls:CertificatePath", $"file '{tls.CertificatePath}' does not exist.");
            }
        }

        foreach (var thumbprint in tls.AllowedRemoteThumbprints)
        {
            if (thumbprint.Length != 40 || !thumbprint.All(char.IsAsciiHexDigit))
            {
                failures.Add("Tls:AllowedRemoteThumbprints", $"'{thumbprint}' is not a SHA-1 thumbprint (40 hex digits).");
            }
        }

        return failures.Result;

        void Port(int value, string property)
        {
            if (value is < 0 or > IPEndPoint.MaxPort)
            {
                failures.Add(property, $"must be a port between 0 and {IPEndPoint.MaxPort}, 0 for any free port (was {value}).");
            }
        }
    }
}
