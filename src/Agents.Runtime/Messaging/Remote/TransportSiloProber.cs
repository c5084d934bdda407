using Agents.Runtime.Membership;

namespace Agents.Runtime.Messaging.Remote;

/// <summary>Membership probes as ping system calls on the silo-to-silo connections.</summary>
internal sealed class TransportSiloProber(MessageCenter messages) : ISiloProber
{
    public async Task<bool> ProbeAsync(SiloAddress target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await messages.CallSystemAsync(target, SystemOperation.Ping, SystemPayload.None, timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception error) when (error is AgentsException or TimeoutException)
        {
            return false;
        }
    }
}
