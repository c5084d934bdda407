using System.Collections.Immutable;

namespace Agents.Invocation;

/// <summary>
/// One link of a call chain: the grain that made a call, and the chain that led to it. Chains are
/// immutable and shared. A link is <em>open</em> while the grain's work that made the call (a
/// request, a timer tick, activation) is still running and so may be waiting on the call; the
/// runtime closes it when that work ends. Only an open link of a busy grain means a cycle.
/// </summary>
public sealed class CallChainLink
{
    private volatile bool _closed;

    public CallChainLink(GrainId grain, CallChainLink? previous)
        : this(grain, previous, closed: true)
    {
    }

    internal CallChainLink(GrainId grain, CallChainLink? previous, bool closed)
    {
        Grain = grain;
        Previous = previous;
        Depth = (previous?.Depth ?? 0) + 1;
        _closed = closed;
    }

    public GrainId Grain { get; }

    public CallChainLink? Previous { get; }

    public int Depth { get; }

    /// <summary>Whether the work that made this call is still running.</summary>
    public bool IsOpen => !_closed;

    /// <summary>The work that made the call has ended; the call can no longer be part of a cycle.</summary>
    internal void Close() => _closed = true;

    /// <summary>Whether <paramref name="grain"/> has an open link in this chain: it is waiting on the chain's last call.</summary>
    public bool ContainsOpen(GrainId grain)
    {
        for (var link = this; link is not null; link = link.Previous)
        {
            if (!link._closed && link.Grain == grain)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The grains from the first caller to the last.</summary>
    public IReadOnlyList<GrainId> ToList()
    {
        var list = new GrainId[Depth];
        var i = Depth - 1;
        for (var link = this; link is not null; link = link.Previous)
        {
            list[i--] = link.Grain;
        }

        return list;
    }

    public override string ToString() => string.Join(" → ", ToList());
}

/// <summary>
/// What flows with a call besides its arguments: the <see cref="RequestContext"/> entries and the
/// call chain. Immutable: a call captures the current instance by reference.
/// </summary>
public sealed class CallContextData(ImmutableDictionary<string, object>? items, CallChainLink? chain)
{
    public ImmutableDictionary<string, object>? Items { get; } = items;

    public CallChainLink? Chain { get; } = chain;

    public bool IsEmpty => (Items is null || Items.IsEmpty) && Chain is null;
}
