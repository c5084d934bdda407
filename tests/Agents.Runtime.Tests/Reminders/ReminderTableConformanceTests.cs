using Agents.Runtime.GrainDirectory;
using Agents.Runtime.Reminders;

namespace Agents.Testing.Reminders;

/// <summary>
/// The behaviour every <see cref="IReminderTable"/> must show (see the contract on that interface).
/// A provider's test class derives from this and supplies a factory that returns a fresh, empty table;
/// every case below runs against it.
/// </summary>
public abstract class ReminderTableConformanceTests(Func<Task<IReminderTable>> tableFactory)
    : ProviderConformanceTests<IReminderTable>(tableFactory, table => table.InitializeAsync())
{
    protected IReminderTable Table => Provider;

    protected static GrainId Grain(string key) => GrainId.Create(new GrainType("reminder-test"), key);

    /// <summary>A time every provider stores exactly (whole microseconds, UTC).</summary>
    protected static readonly DateTimeOffset Start = new DateTimeOffset(2026, 12, 2, 8, 30, 15, TimeSpan.Zero).AddTicks(1_234_560);

    protected static ReminderEntry Entry(GrainId grain, string name = "tick", TimeSpan? period = null, DateTimeOffset? start = null) =>
        new(grain, name, start ?? Start, period ?? TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_new_table_has_no_reminders_and_initializing_again_changes_nothing()
    {
        await Table.InitializeAsync();

        Assert.Null(await Table.ReadRowAsync(Grain("a"), "tick"));
        Assert.Empty(await Table.ReadRowsAsync(Grain("a")));
        Assert.Empty(await Table.ReadRowsAsync([HashRange.All]));
    }

    [Fact]
    public async Task An_upserted_row_reads_back_with_every_field_and_an_etag()
    {
        var grain = Grain("customer/42 ü \"quoted\"");
        var etag = await Table.UpsertRowAsync(Entry(grain, "close-window ✓", TimeSpan.FromMilliseconds(1_500)));

        var row = await Table.ReadRowAsync(grain, "close-window ✓");

        Assert.NotNull(row);
        Assert.Equal(grain, row.GrainId);
        Assert.Equal("close-window ✓", row.ReminderName);
        Assert.Equal(Start, row.StartAt);
        Assert.Equal(TimeSpan.Zero, row.StartAt.Offset);
        Assert.Equal(TimeSpan.FromMilliseconds(1_500), row.Period);
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(etag, row.ETag);
    }

    [Fact]
    public async Task Upserting_again_replaces_the_schedule_and_gives_a_new_etag()
    {
        var grain = Grain("a");
        var first = await Table.UpsertRowAsync(Entry(grain));
        var second = await Table.UpsertRowAsync(Entry(grain, period: TimeSpan.FromMinutes(5), start: Start.AddHours(1)));

        var rows = await Table.ReadRowsAsync(grain);

        var row = Assert.Single(rows);
        Assert.NotEqual(first, second);
        Assert.Equal(second, row.ETag);
        Assert.Equal(TimeSpan.FromMinutes(5), row.Period);
        Assert.Equal(Start.AddHours(1), row.StartAt);
    }

    [Fact]
    public async Task Remove_deletes_only_with_the_current_etag()
    {
        var grain = Grain("a");
        var stale = await Table.UpsertRowAsync(Entry(grain));
        var current = await Table.UpsertRowAsync(Entry(grain, period: TimeSpan.FromMinutes(1)));

        Assert.False(await Table.RemoveRowAsync(grain, "tick", stale));
        Assert.NotNull(await Table.ReadRowAsync(grain, "tick"));
        Assert.False(await Table.RemoveRowAsync(grain, "tick", "not-an-etag"));
        Assert.True(await Table.RemoveRowAsync(grain, "tick", current));
        Assert.Null(await Table.ReadRowAsync(grain, "tick"));
        Assert.False(await Table.RemoveRowAsync(grain, "tick", current));
    }

    [Fact]
    public async Task A_row_deleted_and_inserted_again_never_takes_an_etag_it_had_before()
    {
        var grain = Grain("a");
        var old = await Table.UpsertRowAsync(Entry(grain));
        Assert.True(await Table.RemoveRowAsync(grain, "tick", old));

        var again = await Table.UpsertRowAsync(Entry(grain));

        Assert.NotEqual(old, again);
        Assert.False(await Table.RemoveRowAsync(grain, "tick", old));
        Assert.NotNull(await Table.ReadRowAsync(grain, "tick"));
    }

    [Fact]
    public async Task Reading_a_grain_returns_its_reminders_only_ordered_by_name()
    {
        var a = Grain("a");
        var b = Grain("b");
        await Table.UpsertRowAsync(Entry(a, "zeta"));
        await Table.UpsertRowAsync(Entry(b, "alpha"));
        await Table.UpsertRowAsync(Entry(a, "alpha"));
        await Table.UpsertRowAsync(Entry(a, "mid"));

        var rows = await Table.ReadRowsAsync(a);

        Assert.Equal(["alpha", "mid", "zeta"], rows.Select(r => r.ReminderName));
        Assert.All(rows, r => Assert.Equal(a, r.GrainId));
    }

    [Fact]
    public async Task The_ranges_of_a_ring_split_the_reminders_so_each_is_read_by_exactly_one_silo()
    {
        var grains = Enumerable.Range(0, 120).Select(i => Grain($"grain-{i}")).ToList();
        foreach (var grain in grains)
        {
            await Table.UpsertRowAsync(Entry(grain));
        }

        var silos = new[] { new SiloAddress("127.0.0.1", 11_111, 1), new SiloAddress("127.0.0.1", 11_112, 1), new SiloAddress("127.0.0.1", 11_113, 1) };
        var ring = new ConsistentHashRing(silos);
        var seen = new Dictionary<GrainId, SiloAddress>();
        foreach (var silo in silos)
        {
            foreach (var row in await Table.ReadRowsAsync(ring.RangesOf(silo)))
            {
                Assert.True(seen.TryAdd(row.GrainId, silo), $"{row.GrainId} was read by {seen.GetValueOrDefault(row.GrainId)} and {silo}");
                Assert.Equal(ring.OwnerOf(row.GrainId), silo);
            }
        }

        Assert.Equal(grains.ToHashSet(), seen.Keys.ToHashSet());
        Assert.Equal(grains.Count, (await Table.ReadRowsAsync([HashRange.All])).Count);
    }

    [Fact]
    public async Task Range_bounds_are_inclusive_at_both_ends_over_the_whole_unsigned_range()
    {
        var grains = Enumerable.Range(0, 40).Select(i => Grain($"bound-{i}")).OrderBy(StableHash.Of).ToList();
        foreach (var grain in grains)
        {
            await Table.UpsertRowAsync(Entry(grain));
        }

        var low = StableHash.Of(grains[0]);
        var high = StableHash.Of(grains[^1]);
        var exact = StableHash.Of(grains[20]);

        Assert.Equal([grains[20]], (await Table.ReadRowsAsync([new HashRange(exact, exact)])).Select(r => r.GrainId));
        Assert.Equal([grains[0]], (await Table.ReadRowsAsync([new HashRange(0, low)])).Select(r => r.GrainId));
        Assert.Equal([grains[^1]], (await Table.ReadRowsAsync([new HashRange(high, ulong.MaxValue)])).Select(r => r.GrainId));
        Assert.Empty(await Table.ReadRowsAsync([new HashRange(0, low - 1), new HashRange(high + 1, ulong.MaxValue)]));
        var middle = await Table.ReadRowsAsync([new HashRange(StableHash.Of(grains[10]), StableHash.Of(grains[19])), new HashRange(exact, exact)]);
        Assert.Equal(grains[10..21].ToHashSet(), middle.Select(r => r.GrainId).ToHashSet());
    }

    [Fact]
    public async Task Twenty_concurrent_upserts_of_one_row_leave_one_row_with_one_of_their_etags()
    {
        var grain = Grain("contended");
        var etags = await Task.WhenAll(Enumerable.Range(1, 20).Select(i =>
            Task.Run(() => Table.UpsertRowAsync(Entry(grain, period: TimeSpan.FromSeconds(i))))));

        var row = Assert.Single(await Table.ReadRowsAsync(grain));

        Assert.Equal(20, etags.Distinct().Count());
        Assert.Contains(row.ETag, etags);
        Assert.Equal(TimeSpan.FromSeconds(Array.IndexOf(etags, row.ETag) + 1), row.Period);
    }

    [Fact]
    public async Task Twenty_concurrent_upserts_of_different_reminders_all_land()
    {
        var grain = Grain("busy");

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => Table.UpsertRowAsync(Entry(grain, $"r{i:00}")))));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r{i:00}"), (await Table.ReadRowsAsync(grain)).Select(r => r.ReminderName));
    }

    [Fact]
    public async Task A_row_that_breaks_the_rules_is_refused_naming_the_problem_and_nothing_is_stored()
    {
        var grain = Grain("bad");

        var noName = await Assert.ThrowsAsync<ReminderException>(() => Table.UpsertRowAsync(Entry(grain, "")));
        var longName = await Assert.ThrowsAsync<ReminderException>(() => Table.UpsertRowAsync(Entry(grain, new string('x', ReminderEntry.MaxNameLength + 1))));
        var zeroPeriod = await Assert.ThrowsAsync<ReminderException>(() => Table.UpsertRowAsync(Entry(grain, period: TimeSpan.Zero)));

        Assert.Contains("not a reminder name", noName.Message);
        Assert.Contains("not a reminder name", longName.Message);
        Assert.Contains("period", zeroPeriod.Message);
        Assert.Empty(await Table.ReadRowsAsync(grain));
    }
}
