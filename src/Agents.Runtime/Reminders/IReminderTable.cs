using System.Globalization;
using Agents.Runtime.GrainDirectory;

namespace Agents.Runtime.Reminders;

/// <summary>
/// The cluster's durable record of reminders: one row per (grain, reminder name), shared by every
/// silo of the cluster. Providers: in-memory (one process, tests), SQLite (one silo on one machine)
/// and PostgreSQL (a cluster).
///
/// <para><b>Rows.</b> A row holds the schedule (first tick time and period), never tick progress:
/// ticking writes nothing, so a table sees one write per registration, not per tick.</para>
///
/// <para><b>ETags.</b> Every upsert gives the row a new ETag, never one the row had before (no ABA).
/// <see cref="RemoveRowAsync"/> deletes only when the ETag still matches.</para>
///
/// <para><b>Ranges.</b> A silo ticks the reminders whose grains hash (<see cref="StableHash"/>) into the
/// ring ranges it owns, and reads them with <see cref="ReadRowsAsync(IReadOnlyList{HashRange}, CancellationToken)"/>;
/// every row is in exactly one silo's ranges.</para>
/// </summary>
public interface IReminderTable
{
    /// <summary>Creates the schema if missing. Idempotent; safe when several silos start at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>The row of <paramref name="grain"/>'s reminder <paramref name="reminderName"/>, or null.</summary>
    Task<ReminderEntry?> ReadRowAsync(GrainId grain, string reminderName, CancellationToken cancellationToken = default);

    /// <summary>Every reminder of <paramref name="grain"/>, ordered by name.</summary>
    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grain, CancellationToken cancellationToken = default);

    /// <summary>Every reminder whose grain hash lies in one of <paramref name="ranges"/>.</summary>
    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(IReadOnlyList<HashRange> ranges, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces the row of <c>entry</c>'s grain and name; returns the row's new ETag.</summary>
    Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Deletes the row if its ETag is still <paramref name="etag"/>; false (changing nothing) otherwise.</summary>
    Task<bool> RemoveRowAsync(GrainId grain, string reminderName, string etag, CancellationToken cancellationToken = default);
}

/// <summary>One reminder as stored.</summary>
/// <param name="GrainId">The grain that receives the ticks.</param>
/// <param name="ReminderName">Unique per grain; 1 to <see cref="MaxNameLength"/> characters, no control characters.</param>
/// <param name="StartAt">When the first tick is due; later ticks are due at <c>StartAt + k × Period</c>.</param>
/// <param name="Period">Time between ticks; positive.</param>
public sealed record ReminderEntry(GrainId GrainId, string ReminderName, DateTimeOffset StartAt, TimeSpan Period)
{
    /// <summary>The longest reminder name accepted.</summary>
    public const int MaxNameLength = 150;

    /// <summary>The longest period accepted (ten years).</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(3653);

    /// <summary>The row's version, set by the table when read; empty on an entry not read from a table.</summary>
    public string ETag { get; init; } = string.Empty;

    /// <summary>The grain's position on the ring, which decides the silo that ticks the reminder.</summary>
    public ulong GrainHash => StableHash.Of(GrainId);

    /// <summary>The first due time after <paramref name="time"/> (<c>StartAt</c> while that is still ahead).</summary>
    public DateTimeOffset NextDueAfter(DateTimeOffset time) => ReminderSchedule.NextDue(this, time);

    /// <summary>Throws <see cref="ReminderException"/> naming what is wrong, for a table to refuse a row it must not store.</summary>
    public void Validate()
    {
        if (GrainId.IsDefault)
        {
            throw new ReminderException("A reminder needs a grain id.");
        }

        ValidateName(GrainId, ReminderName);
        if (Period <= TimeSpan.Zero || Period > MaxPeriod)
        {
            throw new ReminderException(
                $"Reminder '{ReminderName}' of {GrainId} has period {Period}; a period must be positive and at most {MaxPeriod.TotalDays.ToString(CultureInfo.InvariantCulture)} days.");
        }
    }

    /// <summary>Throws <see cref="ReminderException"/> when <paramref name="name"/> is not a usable reminder name.</summary>
    public static void ValidateName(GrainId grain, string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            throw new ReminderException(
                $"'{name}' is not a reminder name (grain {grain}): use 1 to {MaxNameLength} characters without control characters.");
        }
    }
}

/// <summary>An inclusive range of grain hashes: <c>Start ≤ hash ≤ End</c>, with <c>Start ≤ End</c>.</summary>
public readonly record struct HashRange(ulong Start, ulong End)
{
    /// <summary>Every hash.</summary>
    public static readonly HashRange All = new(ulong.MinValue, ulong.MaxValue);

    public bool Contains(ulong hash) => hash >= Start && hash <= End;

    /// <summary>The same hashes as <paramref name="ranges"/>, as disjoint ranges in ascending order (overlapping and adjacent ones merged).</summary>
    public static List<HashRange> Merge(IEnumerable<HashRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        var merged = new List<HashRange>(sorted.Count);
        foreach (var range in sorted)
        {
            if (range.Start > range.End)
            {
                throw new ArgumentException($"Hash range {range} starts after it ends.", nameof(ranges));
            }

            if (merged.Count > 0 && (merged[^1].End == ulong.MaxValue || merged[^1].End + 1 >= range.Start))
            {
                if (range.End > merged[^1].End)
                {
                    merged[^1] = merged[^1] with { End = range.End };
                }
            }
            else
            {
                merged.Add(range);
            }
        }

        return merged;
    }

    /// <summary>
    /// The hash as a signed 64-bit number with the same order (the top bit flipped), for databases
    /// whose integers are signed: ranges compare the same way on either form.
    /// </summary>
    public static long ToOrderedInt64(ulong hash) => unchecked((long)(hash ^ 0x8000_0000_0000_0000UL));

    public override string ToString() => $"[{Start:x16}, {End:x16}]";
}
