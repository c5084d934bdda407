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
                Assert.Equal(order, recent.Newest(RecentSignalIds.Capacity));
                Assert.All(Enumerable.Range(0, 600).Select(i => $"id-{i}"), probe => Assert.Equal(set.Contains(probe), recent.Contains(probe)));
            }
        }
    }

    [Fact]
    public void Newest_returns_the_last_ids_oldest_first()
    {
        var recent = new RecentSignalIds();
        for (var i = 0; i < 300; i++)
        {
            recent.Add($"s{i}");
        }

        Assert.Equal(Enumerable.Range(297, 3).Select(i => $"s{i}"), recent.Newest(3));
        Assert.Equal(Enumerable.Range(44, 256).Select(i => $"s{i}"), recent.Newest(1_000));
        Assert.False(recent.Contains("s43"));
        Assert.True(recent.Contains("s44"));
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
