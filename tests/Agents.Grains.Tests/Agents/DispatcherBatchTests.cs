using Agents.Signals;

namespace Agents.Grains.Tests.Agents;

/// <summary>What one delivery to an agent takes from its lane: a count limit and a byte budget, one signal at least.</summary>
public sealed class DispatcherBatchTests
{
    [Fact]
    public void Small_signals_go_up_to_the_count_limit()
    {
        var waiting = new Queue<Signal>(Enumerable.Range(0, 1_000).Select(i => Signal.Create("t.small", $"{{\"i\":{i}}}", "/tests")));
        Assert.Equal(SignalDispatcherGrain.MaxBatch, SignalDispatcherGrain.BatchCount(waiting));
    }

    [Fact]
    public void Large_signals_stop_at_the_byte_budget_and_a_huge_one_goes_alone()
    {
        // ~300,000 characters of data: ~900 KB by the 3-bytes-per-character estimate, so one fits the 1 MiB budget and two do not.
        var big = Signal.Create("t.big", $"\"{new string('x', 300_000)}\"", "/tests");
        Assert.Equal(1, SignalDispatcherGrain.BatchCount(new Queue<Signal>([big, big, big])));

        var small = Signal.Create("t.big", "1", "/tests");
        Assert.Equal(3, SignalDispatcherGrain.BatchCount(new Queue<Signal>([small, small, big, big])));

        var huge = Signal.Create("t.big", $"\"{new string('x', 2_000_000)}\"", "/tests");
        Assert.Equal(1, SignalDispatcherGrain.BatchCount(new Queue<Signal>([huge, small])));
        Assert.Equal(0, SignalDispatcherGrain.BatchCount(new Queue<Signal>()));
    }
}
