using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Agents.Runtime.Networking;

namespace Agents.Runtime.Tests.Networking;

public sealed class TlsTests : IAsyncLifetime
{
    private readonly NetworkTestKit _kit = new();
    private readonly X509Certificate2 _cluster = SelfSigned("CN=agents-cluster");
    private readonly X509Certificate2 _stranger = SelfSigned("CN=stranger");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        _cluster.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task Peers_with_a_pinned_certificate_talk_over_mutual_tls()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true), Tls(_cluster));
        var replies = new RecordingHandler();

        var connection = await _kit.Manager(replies, Tls(_cluster)).GetConnectionAsync(listener.LocalEndPoint);

        await NetworkTestKit.AssertEchoesAsync(connection, replies, new byte[100_000]);
        await NetworkTestKit.AssertEchoesAsync(connection, replies, [1, 2, 3]);
    }

    [Fact]
    public async Task A_peer_whose_certificate_is_not_allowed_is_refused_and_the_listener_serves_others()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true), Tls(_cluster));

        await Assert.ThrowsAnyAsync<ConnectionException>(() => _kit.Manager(new RecordingHandler(), Tls(_stranger, trust: _cluster)).GetConnectionAsync(listener.LocalEndPoint).AsTask());

        await _kit.LogAsync("TLS negotiation with 127.0.0.1:", "failed");
        var replies = new RecordingHandler();
        var good = await _kit.Manager(replies, Tls(_cluster)).GetConnectionAsync(listener.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(good, replies, [7]);
    }

    [Fact]
    public async Task A_plain_peer_cannot_talk_to_a_tls_listener()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true), Tls(_cluster));

        await Assert.ThrowsAnyAsync<ConnectionException>(() => _kit.Manager(new RecordingHandler(), NetworkTestKit.Options(o => o.HandshakeTimeout = TimeSpan.FromSeconds(2)))
            .GetConnectionAsync(listener.LocalEndPoint).AsTask());

        await _kit.LogAsync("TLS negotiation with 127.0.0.1:", "failed");
    }

    private static NetworkingOptions Tls(X509Certificate2 own, X509Certificate2? trust = null) => NetworkTestKit.Options(o =>
    {
        o.Tls.Enabled = true;
        o.Tls.Certificate = own;
        o.Tls.AllowedRemoteThumbprints.Add((trust ?? own).Thumbprint);
    });

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Round-trip through PKCS#12 so the private key is usable by TLS on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
