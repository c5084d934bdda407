using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Membership;

namespace Agents.Runtime.Reminders;

internal sealed partial class ReminderService
{
    /// <summary>The hashes this silo owns in one view.</summary>
    private sealed class Ownership
    {
        public static readonly Ownership Everything = new(null, [HashRange.All]);
        public static readonly Ownership Nothing = new(null, []);

        private readonly ConsistentHashRing? _ring;

        private Ownership(ConsistentHashRing? ring, IReadOnlyList<HashRange> ranges)
        {
            _ring = ring;
            Ranges = ranges;
        }

        public IReadOnlyList<HashRange> Ranges { get; }

        /// <summary>The ring this ownership comes from; null outside a cluster or before joining.</summary>
        public ConsistentHashRing? Ring => _ring;

        public static Ownership Of(MembershipView view, SiloAddress self)
        {
            var ring = new ConsistentHashRing(view.ActiveSilos);
            return new Ownership(ring, ring.RangesOf(self));
        }

        public bool Owns(ulong hash)
        {
            foreach (var range in Ranges)
            {
                if (range.Contains(hash))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The silo of the ring that owns <paramref name="hash"/>; null without a ring (outside a cluster, or before joining).</summary>
        public SiloAddress? OwnerOf(ulong hash) => _ring is { IsEmpty: false } ring ? ring.OwnerOf(hash) : null;

        public bool SameRangesAs(Ownership other) => Ranges.SequenceEqual(other.Ranges) && _ring?.Silos.SequenceEqual(other._ring?.Silos ?? []) == true;

        public string Describe() =>
            _ring is null ? (Ranges.Count > 0 ? "every reminder (single silo)" : "none yet")
            : $"{Ranges.Count} hash ranges of a ring of {_ring.Silos.Length} silos";
    }

    /// <summary>Which newly loaded reminders deliver their latest due tick at once (invariant 4a).</summary>
    private sealed class CatchUp(Func<ulong, bool> applies)
    {
        public static readonly CatchUp Everything = new(static _ => true);

        public bool Applies(ulong hash) => applies(hash);

        /// <summary>
        /// Catch up unless the reminder's owner in <paramref name="previous"/> was another silo that is still
        /// Active in <paramref name="view"/>: that one ticked it until now.
        /// </summary>
        public static CatchUp From(ConsistentHashRing previous, MembershipView view, SiloAddress self)
        {
            if (previous.IsEmpty)
            {
                return Everything;
            }

            var active = view.ActiveSilos.ToHashSet();
            return new CatchUp(hash => previous.OwnerOf(hash) is var owner && (owner == self || !active.Contains(owner)));
        }
    }
}
