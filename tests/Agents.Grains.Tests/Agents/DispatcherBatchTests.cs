using Agents.Feed;
using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>What one delivery to an agent takes from its lane: a count limit and a byte budget, one signal at least.</summary>
public sealed class DispatcherBatchTests
{
    [Fact]
    public void Small_signals_go_up_to_the_count_limit()
    {
        var waiting = Enumerable.Range(0, 1_000).Select(i => Signal.Create("t.small", $"{{\"i\":{i}}}", "/tests")).ToArray();
        Assert.Equal(SignalLanes.MaxBatch, BatchCount(waiting));
    }

    [Fact]
    public void Large_signals_stop_at_the_byte_budget_and_a_huge_one_goes_alone()
    {
        // ~300,000 characters of data: ~900 KB by the 3-bytes-per-character estimate, so one fits the 1 MiB budget and two do not.
        var big = Signal.Create("t.big", $"\"{new string('x', 300_000)}\"", "/tests");
        Assert.Equal(1, BatchCount(big, big, big));

        var small = Signal.Create("t.big", "1", "/tests");
        Assert.Equal(3, BatchCount(small, small, big, big));

        var huge = Signal.Create("t.big", $"\"{new string('x', 2_000_000)}\"", "/tests");
        Assert.Equal(1, BatchCount(huge, small));
        Assert.Equal(0, BatchCount());
    }

    private static int BatchCount(params Signal[] waiting) =>
        SignalLanes.BatchCount(new Queue<SignalLanes.WaitingSignal>(waiting.Select(signal => new SignalLanes.WaitingSignal(signal))));

    [Fact]
    public void A_batch_goes_to_other_silos_feeds_in_messages_that_fit_and_in_order()
    {
        var small = Enumerable.Range(0, 4_096).Select(i => Signal.Create("t.feed", $"{{\"i\":{i}}}", "/tests")).ToArray();
        Assert.Equal(small, Assert.Single(SignalFeedFanOut.Chunks(small)));

        // ~900 KB each by the estimate: one per message; a huge one alone.
        var big = Signal.Create("t.feed", $"\"{new string('x', 300_000)}\"", "/tests");
        var huge = Signal.Create("t.feed", $"\"{new string('x', 2_000_000)}\"", "/tests");
        var chunks = SignalFeedFanOut.Chunks([small[0], big, big, huge, small[1]]);
        Assert.Equal([2, 1, 1, 1], chunks.Select(c => c.Length));
        Assert.Equal([small[0], big, big, huge, small[1]], chunks.SelectMany(c => c));
    }
}
