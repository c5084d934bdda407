using System.Diagnostics;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Stress findings of the core review: many concurrent calls of every kind, each of which must
/// complete once with its own outcome and reach the grain it was sent to. Each test states the guarantee
/// it checks (docs/runtime.md and the invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class CallStressTests
{
    /// <summary>
    /// 20,000 calls across 50 grains mixing Task/ValueTask results, exceptions before and after
    /// awaits, cancellation, response timeouts, one-way calls, read-only, always-interleave and
    /// grain-to-grain calls. Every call must complete once, within the bound, with its own result
    /// (a pooled request handed to two calls shows up as a result that does not match its argument);
    /// afterwards every activation is idle and no call is left in the timeout registry.
    /// </summary>
    [Fact]
    public async Task Stress_mixed_calls_each_complete_once_with_their_own_outcome()
    {
        var cluster = new TestClusterBuilder().Build();
        await using var running = await RegressionHarness.StartAsync(cluster);

        var report = await MixedStress.RunAsync(cluster, calls: 20_000, grainCount: 50);

        Assert.True(report.Failures.IsEmpty, report.Describe());
    }

    /// <summary>
    /// One-way hops through shared, cached references. GrainCatalog.Deliver writes
    /// request.TargetReference.CachedTarget after TryEnqueue handed a one-way request (whose caller
    /// already let go) to the activation; if it ran and was recycled and re-rented meanwhile, the
    /// write caches this activation on another grain's reference, and later calls through that
    /// reference run on the wrong grain. The window is a few instructions; the test oversubscribes
    /// the CPU to widen it, so it can pass by luck.
    /// </summary>
    [Fact]
    public async Task Stress_one_way_calls_always_reach_the_grain_they_were_sent_to()
    {
        // Call-chain reentrancy on: one-way hop chains carry an ever-growing call chain, and without
        // it the cycle check fails hops with false DeadlockExceptions (see the one-way cycle test).
        var cluster = new TestClusterBuilder().ConfigureSilo(silo => silo.Configure(o => o.AllowCallChainReentrancy = true)).Build();
        await using var running = await RegressionHarness.StartAsync(cluster);
        RegressionHopGrain.References.Clear();
        Interlocked.Exchange(ref RegressionHopGrain.Hops, 0);
        Interlocked.Exchange(ref RegressionHopGrain.Misdelivered, 0);

        const int Chains = 200;
        const int Length = 200;
        using var stop = new CancellationTokenSource();
        var spinners = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Thread.SpinWait(200);
                    Thread.Yield();
                }
            })
            { IsBackground = true })
            .ToList();
        spinners.ForEach(t => t.Start());
        var clock = Stopwatch.StartNew();
        long sent = 0;
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(4) && Interlocked.Read(ref RegressionHopGrain.Misdelivered) == 0)
            {
                for (var chain = 0; chain < Chains; chain++)
                {
                    var key = $"hop-{chain % RegressionHopGrain.Keys}";
                    await RegressionHopGrain.Reference(cluster.Client, key).Hop(key, Length - 1, (int)sent + chain);
                }

                sent += (long)Chains * Length;
                var round = Stopwatch.StartNew();
                while (Interlocked.Read(ref RegressionHopGrain.Hops) < sent && round.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(5);
                }

                Assert.True(
                    Interlocked.Read(ref RegressionHopGrain.Hops) >= sent,
                    $"{sent - Interlocked.Read(ref RegressionHopGrain.Hops)} of {sent} one-way hops never ran; " +
                    string.Join(" | ", cluster.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Take(2).Select(e => e.Message)));
            }
        }
        finally
        {
            await stop.CancelAsync();
            spinners.ForEach(t => t.Join());
        }

        Assert.True(
            Interlocked.Read(ref RegressionHopGrain.Misdelivered) == 0,
            $"{RegressionHopGrain.Misdelivered} of {Interlocked.Read(ref RegressionHopGrain.Hops)} hops ran on the wrong grain, e.g. {string.Join("; ", RegressionHopGrain.MisdeliveryExamples)}");
    }
}
