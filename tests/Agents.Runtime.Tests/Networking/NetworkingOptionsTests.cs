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
        };
        options.Tls.Enabled = true;
        options.Tls.AllowedRemoteThumbprints.Add("not-a-thumbprint");

        var result = new NetworkingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var message = result.FailureMessage;
        Assert.Contains("Agents:Networking:ListenAddress: must be an IP address such as 127.0.0.1 (was 'silo.local').", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:SiloPort: must be a port between 0 and 65535", message, StringComparison.Ordinal);
        Assert.Contains("Agents:Networking:MaxFrameSize: must be between 1024 and 1073741824 bytes (was 100).", message, StringComparison.Ordinal);
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
}
