using Agents.Invocation;
using Agents.Runtime.Generators.Tests.Grains;

namespace Agents.Runtime.Generators.Tests.Runtime;

/// <summary>Sequential calls reuse their request objects instead of allocating one per call.</summary>
public sealed class PoolingTests
{
    private const int Calls = 10_000;

    [Fact]
    public async Task Sequential_calls_reuse_a_handful_of_request_objects()
    {
        var cluster = new TestCluster();
        var calculator = cluster.GetGrain<ICalculatorGrain>("pool-instances");
        var seen = new HashSet<GrainRequest>(ReferenceEqualityComparer.Instance);
        cluster.OnSend = request => seen.Add(request);

        for (var i = 0; i < Calls; i++)
        {
            Assert.Equal(i + 1, await calculator.Sum(i, 1));
        }

        // Each call returns its request to the pool before the next one rents. The bound leaves
        // room for the per-thread cache missing when the test hops threads; without pooling it would be 10,000.
        Assert.InRange(seen.Count, 1, 16);
    }

    [Fact]
    public async Task Synchronously_completing_ValueTask_calls_do_not_allocate_per_call()
    {
        var cluster = new TestCluster();
        var calculator = cluster.GetGrain<ICalculatorGrain>("pool-allocations");

        // Warm up: first-call allocations (JIT, static descriptors, activation, pool) are not per-call costs.
        for (var i = 0; i < 1_000; i++)
        {
            await calculator.Sum(i, 1);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0L;
        for (var i = 0; i < Calls; i++)
        {
            var pending = calculator.Sum(i, 1);

            // Every call completes inside Send, so the await below never yields and the loop stays on this thread.
            Assert.True(pending.IsCompleted);
            total += await pending;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(((long)Calls * (Calls + 1)) / 2, total);

        // An unpooled request is well over 100 bytes, so 10,000 calls would allocate over 1 MB.
        // The bound is far below that yet far above noise.
        Assert.True(allocated < Calls * 8, $"{allocated} bytes allocated over {Calls} calls");
    }
}
