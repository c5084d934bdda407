using Agents.Runtime.Membership;

namespace Agents.Runtime.Messaging.Remote;

/// <summary>Membership probes as ping system calls on the silo-to-silo connections; each answer also reports the peer's activation count.</summary>
internal sealed class TransportSiloProber(MessageCenter messages, Action<SiloAddress, long> onLoadReported) : ISiloProber
{
    public async Task<bool> ProbeAsync(SiloAddress target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await messages.CallSystemAsync(target, SystemOperation.Ping, SystemPayload.None, timeout, cancellationToken).ConfigureAwait(false);
            onLoadReported(target, reply.Value);
            return true;
        }
        catch (Exception error) when (error is AgentsException or TimeoutException)
        {
            return false;
        }
    }
}
