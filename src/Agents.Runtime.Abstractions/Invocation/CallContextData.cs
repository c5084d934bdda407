using System.Collections.Immutable;

namespace Agents.Invocation;

/// <summary>
/// One link of a call chain: the grain that made a call, and the chain that led to it. Chains are
/// immutable and shared; a new link costs one object.
/// </summary>
public sealed class CallChainLink(GrainId grain, CallChainLink? previous)
{
    public GrainId Grain { get; } = grain;

    public CallChainLink? Previous { get; } = previous;

    public int Depth { get; } = (previous?.Depth ?? 0) + 1;

    public bool Contains(GrainId grain)
    {
        for (var link = this; link is not null; link = link.Previous)
        {
            if (link.Grain == grain)
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
