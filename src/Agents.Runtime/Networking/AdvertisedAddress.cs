using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Agents.Runtime.Hosting;

namespace Agents.Runtime.Networking;

/// <summary>
/// The host a silo tells peers and clients to reach it at: Agents:Networking:AdvertisedAddress when set; else the listen
/// address, unless that is an any-address (0.0.0.0, ::), which no peer can connect to (on Linux, connecting to 0.0.0.0
/// reaches the connecting machine itself) — then this machine's own address, as a container listening on 0.0.0.0 needs.
/// </summary>
internal static class AdvertisedAddress
{
    public static string Of(NetworkingOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            return options.AdvertisedAddress;
        }

        var listen = IPAddress.Parse(options.ListenAddress);
        if (!listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
        {
            return options.ListenAddress;
        }

        return MachineAddress(listen.AddressFamily)?.ToString() ?? throw new AgentsConfigurationException(
            $"{NetworkingOptions.SectionName}:ListenAddress is {options.ListenAddress} (every interface), and this machine has no other address " +
            $"for peers to reach it at: set {NetworkingOptions.SectionName}:AdvertisedAddress to the name or IP they should use.");
    }

    /// <summary>The first address of an interface that is up, of <paramref name="family"/>, neither loopback nor link-local; null when there is none.</summary>
    internal static IPAddress? MachineAddress(AddressFamily family) =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == family && !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal
                && !(family == AddressFamily.InterNetwork && a.GetAddressBytes() is [169, 254, ..]));
}
