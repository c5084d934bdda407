using Agents.Runtime.GrainDirectory;

namespace Agents.Runtime.Placement;

/// <summary>A silo that could host a new activation, with what placement needs to know of it.</summary>
public sealed record PlacementCandidate(SiloAddress Silo, string Role, int ActivationCount);

/// <summary>The decision to make: where the first activation of <see cref="GrainId"/> goes.</summary>
/// <param name="GrainId">The grain being activated.</param>
/// <param name="LocalSilo">The silo making the decision (the caller's), if it can host grains.</param>
/// <param name="Candidates">The Active silos that can host grains, in a stable order.</param>
public readonly record struct PlacementContext(GrainId GrainId, SiloAddress? LocalSilo, IReadOnlyList<PlacementCandidate> Candidates);

/// <summary>Chooses the silo for a new activation. Implementations are stateless and thread-safe.</summary>
public interface IPlacementDirector
{
    SiloAddress PickSilo(PlacementContext context);
}

/// <summary>Shared checks.</summary>
internal static class Placement
{
    public static IReadOnlyList<PlacementCandidate> Require(PlacementContext context, string strategy)
    {
        if (context.Candidates.Count == 0)
        {
            throw new SiloUnavailableException($"No silo can host grain {context.GrainId} ({strategy} placement): the cluster has no Active silo that hosts grains.");
        }

        return context.Candidates;
    }
}

/// <summary>Any candidate, uniformly at random.</summary>
public sealed class RandomPlacementDirector(Random? random = null) : IPlacementDirector
{
    private readonly Random _random = random ?? Random.Shared;

    public SiloAddress PickSilo(PlacementContext context)
    {
        var candidates = Placement.Require(context, "random");
        return candidates[_random.Next(candidates.Count)].Silo;
    }
}

/// <summary>The calling silo when it is a candidate (no network hop for the first call), otherwise random.</summary>
public sealed class PreferLocalPlacementDirector(Random? random = null) : IPlacementDirector
{
    private readonly RandomPlacementDirector _fallback = new(random);

    public SiloAddress PickSilo(PlacementContext context)
    {
        var candidates = Placement.Require(context, "prefer-local");
        if (context.LocalSilo is { } local)
        {
            foreach (var candidate in candidates)
            {
                if (candidate.Silo == local)
                {
                    return local;
                }
            }
        }

        return _fallback.PickSilo(context);
    }
}

/// <summary>
/// A candidate chosen by the grain id's stable hash: the same grain goes to the same silo while the
/// set of candidates is unchanged, whichever silo decides.
/// </summary>
public sealed class HashBasedPlacementDirector : IPlacementDirector
{
    public SiloAddress PickSilo(PlacementContext context)
    {
        var candidates = Placement.Require(context, "hash-based");
        var ordered = candidates.Select(c => c.Silo).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToArray();
        return ordered[(int)(StableHash.Of(context.GrainId) % (ulong)ordered.Length)];
    }
}

/// <summary>
/// The default: of two candidates drawn at random, the one with fewer activations ("power of two
/// choices"). Nearly as balanced as picking the least loaded, without every silo herding to the
/// same one on stale counts.
/// </summary>
public sealed class ActivationCountPlacementDirector(Random? random = null) : IPlacementDirector
{
    private readonly Random _random = random ?? Random.Shared;

    public SiloAddress PickSilo(PlacementContext context)
    {
        var candidates = Placement.Require(context, "activation-count");
        if (candidates.Count == 1)
        {
            return candidates[0].Silo;
        }

        // Two distinct candidates, uniformly: draw the second from the others by skipping the first.
        var i = _random.Next(candidates.Count);
        var j = _random.Next(candidates.Count - 1);
        if (j >= i)
        {
            j++;
        }

        var first = candidates[i];
        var second = candidates[j];
        return second.ActivationCount < first.ActivationCount ? second.Silo : first.Silo;
    }
}

/// <summary>Only silos with the given role, chosen by activation count among them.</summary>
public sealed class SiloRolePlacementDirector(string role, Random? random = null) : IPlacementDirector
{
    private readonly ActivationCountPlacementDirector _inner = new(random);

    public string Role { get; } = role;

    public SiloAddress PickSilo(PlacementContext context)
    {
        var matching = context.Candidates.Where(c => string.Equals(c.Role, Role, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (matching.Length == 0)
        {
            throw new SiloUnavailableException(
                $"No silo with role '{Role}' can host grain {context.GrainId}. Silos present: " +
                $"{(context.Candidates.Count == 0 ? "none" : string.Join(", ", context.Candidates.Select(c => $"{c.Silo} ({(c.Role.Length == 0 ? "no role" : c.Role)})")))}.");
        }

        return _inner.PickSilo(context with { Candidates = matching });
    }
}

/// <summary>The silo the grain's key names (<c>host:port@generation</c>), and only that one.</summary>
public sealed class SiloKeyedPlacementDirector : IPlacementDirector
{
    public SiloAddress PickSilo(PlacementContext context)
    {
        var key = context.GrainId.Key;
        if (!SiloAddress.TryParse(key, out var silo))
        {
            throw new ArgumentException($"Grain {context.GrainId} uses silo-keyed placement, so its key must be a silo address (host:port@generation); '{key}' is not one.");
        }

        foreach (var candidate in context.Candidates)
        {
            if (candidate.Silo == silo)
            {
                return silo;
            }
        }

        throw new SiloUnavailableException($"Grain {context.GrainId} lives only on silo {silo}, which is not an Active silo of the cluster.");
    }
}
