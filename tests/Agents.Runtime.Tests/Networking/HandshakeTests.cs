using System.Net.Sockets;
using Agents.Runtime.Networking;

namespace Agents.Runtime.Tests.Networking;

public sealed class HandshakeTests : IAsyncLifetime
{
    private readonly NetworkTestKit _kit = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _kit.DisposeAsync().AsTask();

    [Fact]
    public async Task Both_ends_learn_who_the_other_is()
    {
        var server = new RecordingHandler(echo: true);
        var listener = _kit.Listen(server);
        var replies = new RecordingHandler();

        var connection = await _kit.Manager(replies, hello: NetworkTestKit.ClientHello()).GetConnectionAsync(listener.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(connection, replies, [1]);

        Assert.Equal(NetworkTestKit.SiloHello(), connection.RemoteHello);
        var inbound = Assert.Single(listener.Connections);
        Assert.Equal(NetworkTestKit.ClientHello(), inbound.RemoteHello);
        Assert.Equal(ConnectionDirection.Inbound, inbound.Direction);
    }

    [Fact]
    public async Task A_wrong_cluster_id_is_refused_with_the_reason_logged_on_both_sides()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var manager = _kit.Manager(new RecordingHandler(), hello: NetworkTestKit.SiloHello(clusterId: "other-cluster", port: 5));

        var error = await Assert.ThrowsAsync<HandshakeException>(() => manager.GetConnectionAsync(listener.LocalEndPoint).AsTask());

        const string Reason = "cluster id 'other-cluster' does not match this cluster ('net-test')";
        Assert.True(error.RefusedByPeer);
        Assert.Contains(Reason, error.Message, StringComparison.Ordinal);
        await _kit.LogAsync("Refused the connection with 127.0.0.1:", Reason);
        await _kit.LogAsync($"The connection to {listener.LocalEndPoint} was refused by the remote end: {Reason}");
        await AssertServesAGoodPeerAsync(listener);
    }

    [Fact]
    public async Task A_wrong_protocol_version_is_refused_with_the_reason_logged_on_both_sides()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var future = new HelloMessage((ushort)(HelloMessage.CurrentProtocolVersion + 1), NetworkTestKit.ClusterId, "127.0.0.1:7", 1, ConnectionRole.Silo);

        var error = await Assert.ThrowsAsync<HandshakeException>(() => _kit.Factory().ConnectAsync(listener.LocalEndPoint, future, CancellationToken.None));

        const string Reason = "protocol version 2 is not supported (this end speaks version 1)";
        Assert.True(error.RefusedByPeer);
        Assert.Contains(Reason, error.Message, StringComparison.Ordinal);
        await _kit.LogAsync("Refused the connection with 127.0.0.1:", Reason);
        await _kit.LogAsync("was refused by the remote end: " + Reason);
        await AssertServesAGoodPeerAsync(listener);
    }

    [Fact]
    public async Task A_listener_with_another_cluster_id_is_refused_by_the_connecting_side_too()
    {
        // The listener admits anyone here (it is a raw peer that answers with a foreign hello).
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        server.Listen();
        var accept = server.AcceptAsync();

        var connect = _kit.Factory().ConnectAsync(server.LocalEndPoint!, NetworkTestKit.SiloHello(), CancellationToken.None);
        using var peer = await accept.WaitAsync(NetworkTestKit.Patience);
        await peer.SendAsync(NetworkTestKit.EncodeHello(NetworkTestKit.SiloHello(clusterId: "elsewhere")), SocketFlags.None);

        var error = await Assert.ThrowsAsync<HandshakeException>(() => connect);
        Assert.False(error.RefusedByPeer);
        Assert.Contains("cluster id 'elsewhere' does not match this cluster ('net-test')", error.Message, StringComparison.Ordinal);
        var lastWords = System.Text.Encoding.UTF8.GetString(await NetworkTestKit.ReadUntilClosedAsync(peer));
        Assert.Contains("cluster id 'elsewhere' does not match", lastWords, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_the_endpoint_does_not_accept_is_refused()
    {
        var listener = _kit.Listen(new RecordingHandler(), roles: ConnectionRole.Silo);

        var error = await Assert.ThrowsAsync<HandshakeException>(() => _kit.Manager(new RecordingHandler(), hello: NetworkTestKit.ClientHello()).GetConnectionAsync(listener.LocalEndPoint).AsTask());

        Assert.Contains("role Client is not accepted on this endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_sends_no_hello_is_dropped_after_the_handshake_timeout_and_others_are_served_meanwhile()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true), NetworkTestKit.Options(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300)));
        var silent = await _kit.RawSocketAsync(listener.LocalEndPoint);

        // The silent peer does not hold up anyone else.
        await AssertServesAGoodPeerAsync(listener);

        await _kit.LogAsync("No hello from " + silent.LocalEndPoint, "within 00:00:00.3000000 (Agents:Networking:HandshakeTimeout)");
        await NetworkTestKit.ReadUntilClosedAsync(silent);
        await AssertServesAGoodPeerAsync(listener);
    }

    [Fact]
    public async Task A_first_frame_larger_than_the_handshake_limit_is_refused_before_the_body_is_read()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var raw = await _kit.RawSocketAsync(listener.LocalEndPoint);
        var header = new byte[FrameHeader.Size];
        FrameHeader.Write(header, 10_000_000, FrameKind.Hello, FrameFlags.None);

        await raw.SendAsync(header, SocketFlags.None);

        await _kit.LogAsync("A frame of 10000000 bytes from " + raw.LocalEndPoint, "exceeds the limit of 4096 bytes (before the handshake)");
        await NetworkTestKit.ReadUntilClosedAsync(raw);
        await AssertServesAGoodPeerAsync(listener);
    }

    [Fact]
    public async Task A_message_before_the_hello_is_refused()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var raw = await _kit.RawSocketAsync(listener.LocalEndPoint);

        await raw.SendAsync(NetworkTestKit.EncodeFrame(FrameKind.Message, [1, 2]), SocketFlags.None);

        await _kit.LogAsync("Refused the connection with " + raw.LocalEndPoint, "expected a hello frame first, got a Message frame");
        var lastWords = System.Text.Encoding.UTF8.GetString(await NetworkTestKit.ReadUntilClosedAsync(raw));
        Assert.Contains("expected a hello frame first", lastWords, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hello_survives_encoding_and_a_truncated_one_is_described()
    {
        var hello = HelloMessage.Create("cluster-é", "10.1.2.3:11111", long.MinValue + 5, ConnectionRole.Silo);
        var frame = NetworkTestKit.EncodeHello(hello);

        Assert.Equal(hello, HelloMessage.TryRead(new(frame.AsMemory(FrameHeader.Size)), out var problem));
        Assert.Null(problem);

        Assert.Null(HelloMessage.TryRead(new(frame.AsMemory(FrameHeader.Size, 15)), out problem));
        Assert.Equal("the hello body is truncated", problem);
    }

    private async Task AssertServesAGoodPeerAsync(ConnectionListener listener)
    {
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(connection, replies, [4, 2]);
    }
}
