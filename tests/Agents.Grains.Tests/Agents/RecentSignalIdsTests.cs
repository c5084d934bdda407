using Agents.Agents;
using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>The dedupe memory of an agent: exactly the last 256 handled ids, whatever the order of adds and repeats.</summary>
public sealed class RecentSignalIdsTests
{
    [Fact]
    public void It_agrees_with_a_plain_set_and_queue_over_a_long_random_run()
    {
        var recent = new RecentSignalIds();
        var set = new HashSet<string>(StringComparer.Ordinal);
        var order = new Queue<string>();
        var random = new Random(42);
        for (var step = 0; step < 200_000; step++)
        {
            // A small id space, so repeats, evictions and long probe chains all happen often.
            var id = $"id-{random.Next(600)}";
            var added = set.Add(id);
            if (added)
            {
                order.Enqueue(id);
                if (order.Count > RecentSignalIds.Capacity)
                {
                    set.Remove(order.Dequeue());
                }
            }

            Assert.Equal(added, recent.Add(id));
            Assert.Equal(set.Count, recent.Count);
            if (step % 997 == 0)
            {
                Assert.Equal(Saved(order), recent.Save(RecentSignalIds.Capacity));
                Assert.All(Enumerable.Range(0, 600).Select(i => $"id-{i}"), probe => Assert.Equal(set.Contains(probe), recent.Contains(probe)));
            }
        }
    }

    [Fact]
    public void Save_keeps_the_last_ids_oldest_first()
    {
        var recent = new RecentSignalIds();
        for (var i = 0; i < 300; i++)
        {
            recent.Add($"s{i}");
        }

        Assert.Equal(Saved(Enumerable.Range(297, 3).Select(i => $"s{i}")), recent.Save(3));
        Assert.Equal(Saved(Enumerable.Range(44, 256).Select(i => $"s{i}")), recent.Save(1_000));
        Assert.Equal(Saved(["s298", "s299", "next"]), recent.Save(2, also: SignalIds.Fingerprint("next")));
        Assert.False(recent.Contains("s43"));
        Assert.True(recent.Contains("s44"));
    }

    [Fact]
    public void What_was_saved_loads_back_as_the_same_memory()
    {
        var recent = new RecentSignalIds();
        for (var i = 0; i < 400; i++)
        {
            recent.Add($"signal-{i}");
        }

        var loaded = new RecentSignalIds();
        loaded.Load(recent.Save(RecentSignalIds.Capacity));
        Assert.Equal(RecentSignalIds.Capacity, loaded.Count);
        Assert.Equal(recent.Save(RecentSignalIds.Capacity), loaded.Save(RecentSignalIds.Capacity));
        Assert.True(loaded.Contains("signal-399"));
        Assert.True(loaded.Contains("signal-144"));
        Assert.False(loaded.Contains("signal-143"));

        // The next signal evicts the oldest loaded one, as it would have in the saving memory.
        Assert.True(loaded.Add("signal-400"));
        Assert.False(loaded.Contains("signal-144"));
    }

    [Fact]
    public void Fingerprints_are_the_same_in_every_process()
    {
        // Stored with agent state and read by another process (or version): XxHash128, seed 0, of the id's UTF-16 code units.
        Assert.Equal(SignalIds.Fingerprint("0123456789abcdef0123456789abcdef"), SignalIds.Fingerprint(new string("0123456789abcdef0123456789abcdef")));
        // The expected value is XXH3-128's canonical form from an independent implementation (npm hash-wasm's xxhash128).
        Assert.Equal(
            "68fc03baf878ea15aa501057dc43f906",
            SignalIds.Fingerprint("ticket-1").ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static byte[] Saved(IEnumerable<string> ids) =>
        [.. ids.SelectMany(id =>
        {
            var bytes = new byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(bytes, SignalIds.Fingerprint(id));
            return bytes;
        })];

    [Fact]
    public async Task Fresh_signal_ids_made_on_many_threads_at_once_are_distinct()
    {
        // Each thread takes the counter a block at a time: the blocks must never overlap.
        var perThread = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 5_000).Select(_ => SignalIds.Next()).ToArray())));
        var all = perThread.SelectMany(ids => ids).ToArray();
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Fresh_signal_ids_are_distinct_32_digit_hex()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => SignalIds.Next()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.All(ids, id => Assert.True(Signal.IsValidId(id)));
    }
}
