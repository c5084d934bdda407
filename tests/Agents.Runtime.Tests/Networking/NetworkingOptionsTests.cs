using Agents.Runtime.Hosting;
using Agents.Runtime.Networking;
using Agents.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Tests.Networking;

public sealed class NetworkingOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new NetworkingOptions();

        Assert.True(new NetworkingOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(16 * 1024 * 1024, options.MaxFrameSize);
    }

    [Fact]
    public void Each_bad_value_is_named_by_its_key()
    {
        var options = new NetworkingOptions
        {
            ListenAddress = "silo.local",
            SiloPort = 70_000,
            MaxFrameSize = 100,
            HandshakeTimeout = TimeSpan.Zero,
            ReconnectInitialDelay = TimeSpan.FromSeconds(5),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            DeadPeerTimeout = TimeSpan.FromSeconds(1),
        };
        options.Tls.Enabled = true;
        options.Tls.AllowedRemoteThumbprints.Add("not-a-thumbprint");

        var result = new NetworkingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var message = result.FailureMessage;
        Assert.Contains("Agents:Networking:ListenAddress: must be an IP address such as 127.0.0.1 (was 'silo.local').", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:SiloPort: must be a port between 0 and 65535", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:MaxFrameSize: must be between 1024 and 1073741824 bytes (was 100).", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:DeadPeerTimeout: must be zero (off) or at least 3 seconds (was 00:00:01).", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:HandshakeTimeout: must be a positive time span", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:ReconnectMaxDelay: must not be shorter than Agents:Networking:ReconnectInitialDelay", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:Tls:CertificatePath: required when Agents:Networking:Tls:Enabled is true.", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:Tls:AllowedRemoteThumbprints: 'not-a-thumbprint' is not a SHA-1 thumbprint", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_binds_the_section_from_configuration()
    {
        await using var cluster = new TestClusterBuilder()
            .WithConfiguration("Agents:Networking:MaxFrameSize", "65536")
            .WithConfiguration("Agents:Networking:Tls:AllowedRemoteThumbprints:0", new string('A', 40))
            .Build();
        await cluster.DeployAsync();

        var options = cluster.Services.GetRequiredService<IOptions<NetworkingOptions>>().Value;

        Assert.Equal(65536, options.MaxFrameSize);
        Assert.Equal(new string('A', 40), Assert.Single(options.Tls.AllowedRemoteThumbprints));
    }

    [Fact]
    public async Task An_invalid_networking_option_stops_start_up_naming_the_key()
    {
        await using var cluster = new TestClusterBuilder().WithConfiguration("Agents:Networking:MaxFrameSize", "10").Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => cluster.DeployAsync());

        Assert.Contains("Agents:Networking:MaxFrameSize: must be between 1024", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_probe_a_peer_that_vanished_within_the_dead_peer_timeout_and_zero_turns_it_off()
    {
        var factory = new ConnectionFactory(new NetworkingOptions { DeadPeerTimeout = TimeSpan.FromSeconds(30) }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);

        factory.Tune(socket);

        Assert.True(socket.NoDelay);
        Assert.Equal(1, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive)!);
        Assert.Equal(10, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(3, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(3, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveRetryCount)!);
        if (OperatingSystem.IsLinux())
        {
            var userTimeout = new byte[4];
            socket.GetRawSocketOption(6, 18, userTimeout);
            Assert.Equal(30_000, BitConverter.ToInt32(userTimeout));
        }

        using var plain = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        new ConnectionFactory(new NetworkingOptions { DeadPeerTimeout = TimeSpan.Zero }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Tune(plain);
        Assert.Equal(0, (int)plain.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive)!);
    }

    [Theory]
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    [InlineData("127.0.0.1", "silo-0.internal", "silo-0.internal")]
    [InlineData("0.0.0.0", "10.1.2.3", "10.1.2.3")]
    public void A_silo_advertises_its_advertised_address_else_its_listen_address(string listen, string? advertised, string expected) =>
        Assert.Equal(expected, AdvertisedAddress.Of(new NetworkingOptions { ListenAddress = listen, AdvertisedAddress = advertised }));

    [Fact]
    public void A_silo_listening_on_every_interface_advertises_this_machines_address_not_0_0_0_0()
    {
        var options = new NetworkingOptions { ListenAddress = "0.0.0.0" };
        if (AdvertisedAddress.MachineAddress(System.Net.Sockets.AddressFamily.InterNetwork) is { } machine)
        {
            var advertised = AdvertisedAddress.Of(options);
            Assert.Equal(machine.ToString(), advertised);
            Assert.False(System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(advertised)));
            Assert.NotEqual("0.0.0.0", advertised);
        }
        else
        {
            // A machine with loopback alone: the silo cannot guess, and says what to set.
            var error = Assert.Throws<AgentsConfigurationException>(() => AdvertisedAddress.Of(options));
            Assert.Contains("Agents:Networking:AdvertisedAddress", error.Message, StringComparison.Ordinal);
        }
    }
}
