using System.Globalization;
using System.Net;
using Agents.Runtime.Membership;

namespace Agents.Client;

/*
 * The gateways a client may use, and which one it uses now.
 *
 * The list is the configured endpoints plus, when a membership table is available, the gateway
 * ports of the table's Active silos (re-read periodically, so silos that join are found and dead ones
 * dropped). The client sticks to one gateway while it works: calls keep their order per grain and
 * share one connection. When that gateway's connection is lost, the next call moves on to the next
 * gateway in the list (round robin), so the load of many clients spreads as they fail over.
 */
internal sealed class GatewayList
{
    private readonly EndPoint[] _configured;
    private volatile EndPoint[] _all;
    private int _current;

    public GatewayList(IEnumerable<string> configured)
    {
        _configured = [.. configured.Select(Parse)];
        _all = _configured;
        // Clients started together should not all pick the first gateway.
        _current = _configured.Length == 0 ? 0 : Random.Shared.Next(_configured.Length);
    }

    public IReadOnlyList<EndPoint> All => _all;

    /// <summary>The gateway in use (or to try first).</summary>
    public EndPoint? Current => _all.ElementAtOrDefault(Volatile.Read(ref _current));

    /// <summary>The gateways to try, starting with the current one.</summary>
    public IEnumerable<EndPoint> InOrder()
    {
        var all = _all;
        var start = Volatile.Read(ref _current);
        for (var i = 0; i < all.Length; i++)
        {
            yield return all[(start + i) % all.Length];
        }
    }

    /// <summary>Makes <paramref name="gateway"/> the one used from now on.</summary>
    public void Use(EndPoint gateway)
    {
        var index = Array.IndexOf(_all, gateway);
        if (index >= 0)
        {
            Volatile.Write(ref _current, index);
        }
    }

    /// <summary>The current gateway failed: move on to the next.</summary>
    public void MovePast(EndPoint gateway)
    {
        var all = _all;
        var index = Array.IndexOf(all, gateway);
        if (index >= 0 && all.Length > 0)
        {
            Interlocked.CompareExchange(ref _current, (index + 1) % all.Length, index);
        }
    }

    /// <summary>
    /// Merges the Active silos' gateways from a membership view into the configured list. Returns the gateways to forget:
    /// those that left the list whose silo is Dead or gone from the table (not one still shutting down, whose calls in
    /// flight may yet be answered), and never a configured one.
    /// </summary>
    public IReadOnlyList<EndPoint> Update(MembershipSnapshot snapshot)
    {
        EndPoint GatewayOf(MembershipEntry e) => Parse($"{e.Silo.Host}:{e.GatewayPort.ToString(CultureInfo.InvariantCulture)}");
        var entries = snapshot.Entries.Select(e => e.Entry).Where(e => e.GatewayPort > 0).ToArray();
        var fromTable = entries.Where(e => e.Status == SiloStatus.Active).Select(GatewayOf);
        var before = _all;
        var current = before.ElementAtOrDefault(Volatile.Read(ref _current));
        var all = _configured.Concat(fromTable).Distinct().ToArray();
        _all = all;
        Volatile.Write(ref _current, current is null ? 0 : Math.Max(0, Array.IndexOf(all, current)));
        var stillThere = entries.Where(e => e.Status != SiloStatus.Dead).Select(GatewayOf);
        return [.. before.Except(all).Except(stillThere).Except(_configured)];
    }

    public static bool TryParse(string value, out EndPoint endpoint)
    {
        endpoint = null!;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        var host = value[..colon];
        endpoint = Runtime.Networking.HelloMessage.EndPointOf(host, port);
        return true;
    }

    private static EndPoint Parse(string value) =>
        TryParse(value, out var endpoint) ? endpoint : throw new FormatException($"'{value}' is not a gateway endpoint (host:port).");
}
