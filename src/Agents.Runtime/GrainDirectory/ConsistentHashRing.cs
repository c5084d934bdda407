using System.Collections.Immutable;
using System.Globalization;
using Agents.Runtime.Reminders;

namespace Agents.Runtime.GrainDirectory;

/*
 * The grain directory's partitioning: which Active silo owns the directory entry of a grain.
 *
 * Each silo contributes VirtualNodesPerSilo points on a 64-bit ring, at stable hashes of
 * "host:port@generation#i"; a grain belongs to the silo of the first point at or after the stable
 * hash of its id (wrapping around). Invariants, which the tests check:
 *  - Deterministic: every silo that sees the same set of Active silos computes the same owner for
 *    every grain, with no coordination.
 *  - Minimal movement: when a silo leaves, only the grains it owned move (each to the next point
 *    on the ring); when a silo joins, only grains moving to it move.
 *  - Balance: with enough virtual nodes, each silo owns close to 1/N of the grains.
 */

/// <summary>An immutable consistent-hash ring over a set of silos.</summary>
public sealed class ConsistentHashRing
{
    /// <summary>Points per silo: enough to keep shares within a few percent of 1/N for small clusters.</summary>
    public const int DefaultVirtualNodesPerSilo = 64;

    private readonly ulong[] _points;
    private readonly SiloAddress[] _owners;

    public ConsistentHashRing(IEnumerable<SiloAddress> silos, int virtualNodesPerSilo = DefaultVirtualNodesPerSilo)
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodesPerSilo, 1);
        Silos = [.. silos.Distinct().OrderBy(s => s.ToString(), StringComparer.Ordinal)];
        var points = new List<(ulong Point, SiloAddress Silo)>(Silos.Length * virtualNodesPerSilo);
        foreach (var silo in Silos)
        {
            for (var i = 0; i < virtualNodesPerSilo; i++)
            {
                points.Add((StableHash.Of(string.Create(CultureInfo.InvariantCulture, $"{silo}#{i}")), silo));
            }
        }

        // Ties (astronomically unlikely) are broken by silo order so every silo agrees.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Silo.ToString(), b.Silo.ToString()));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Silo).ToArray();
    }

    /// <summary>The silos on the ring, in a stable order.</summary>
    public ImmutableArray<SiloAddress> Silos { get; }

    public bool IsEmpty => _points.Length == 0;

    /// <summary>
    /// The hashes <paramref name="silo"/> owns, as inclusive ranges in ascending order, neighbours merged:
    /// the point at index i owns (point i-1, point i], and the first point also owns the wrap-around
    /// above the last. Empty when the silo is not on the ring. <see cref="OwnerOf(ulong)"/> names
    /// <paramref name="silo"/> for exactly the hashes in these ranges.
    /// </summary>
    public IReadOnlyList<HashRange> RangesOf(SiloAddress silo)
    {
        var ranges = new List<HashRange>();
        var last = _points.Length - 1;
        for (var i = 0; i <= last; i++)
        {
            if (_owners[i] != silo)
            {
                continue;
            }

            if (i == 0)
            {
                // [0, point 0], and (last point, max] unless the last point is the top of the range.
                ranges.Add(new HashRange(0, _points[0]));
                if (_points[last] != ulong.MaxValue)
                {
                    ranges.Add(new HashRange(_points[last] + 1, ulong.MaxValue));
                }
            }
            else if (_points[i] != _points[i - 1])
            {
                ranges.Add(new HashRange(_points[i - 1] + 1, _points[i]));
            }
        }

        return HashRange.Merge(ranges);
    }

    /// <summary>The silo that owns <paramref name="grainId"/>'s directory entry.</summary>
    public SiloAddress OwnerOf(GrainId grainId) => OwnerOf(StableHash.Of(grainId));

    /// <summary>The silo that owns the ring position <paramref name="hash"/>.</summary>
    public SiloAddress OwnerOf(ulong hash)
    {
        if (_points.Length == 0)
        {
            throw new InvalidOperationException("The ring has no silos: no Active silo can own a directory partition.");
        }

        var index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }
}
