using System.Collections.Concurrent;
using System.Diagnostics;
using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>The mixed-call workload of the stress tests.</summary>
internal static class MixedStress
{
    public sealed record Report(ConcurrentQueue<string> Failures, int Calls, TimeSpan Elapsed, string Outcomes)
    {
        public string Describe() =>
            $"{Failures.Count} of {Calls} calls went wrong in {Elapsed} ({Outcomes}); first ones:\n" + string.Join("\n", Failures.Take(10));
    }

    public static async Task<Report> RunAsync(TestCluster cluster, int calls, int grainCount)
    {
        var run = "stress-" + Guid.NewGuid().ToString("N")[..8];
        var client = cluster.Client;
        var grains = Enumerable.Range(0, grainCount).Select(i => client.GetGrain<IReviewStressGrain>($"{run}-{i}")).ToArray();
        var notes = new long[grainCount];
        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();

        const int Workers = 8;
        const int Batch = 64;
        var workers = Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var batch = new List<Task>(Batch);
            for (var i = worker; i < calls; i += Workers)
            {
                var g = random.Next(grainCount);
                long x = ((long)worker << 32) | (uint)i;
                batch.Add(OneCall(grains[g], grains[(g + 1) % grainCount].GetPrimaryKeyString(), g, x, random.Next(100), random.Next(6)));
                if (batch.Count == Batch)
                {
                    await Task.WhenAll(batch);
                    batch.Clear();
                }
            }

            await Task.WhenAll(batch);
        })).ToArray();

        var all = Task.WhenAll(workers);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) != all)
        {
            failures.Enqueue("calls still incomplete after 60 s");
            return new Report(failures, calls, clock.Elapsed, Summarize(outcomes));
        }

        await all;

        // One-way notes all land.
        for (var g = 0; g < grainCount; g++)
        {
            var grain = grains[g];
            var expected = Interlocked.Read(ref notes[g]);
            var limit = Stopwatch.StartNew();
            long noted;
            while ((noted = await grain.Noted()) != expected && limit.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(10);
            }

            if (noted != expected)
            {
                failures.Enqueue($"grain {g}: one-way notes sum {noted}, expected {expected}");
            }
        }

        // Accounting: every activation idle, no call left registered for timeouts.
        var catalog = CatalogOf(cluster);
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(5) && (catalog.Activations.Any(a => a.RunningCount != 0 || a.QueuedCount != 0) || catalog.PendingCalls.Count != 0))
        {
            await Task.Delay(20);
        }

        foreach (var activation in catalog.Activations.Where(a => a.RunningCount != 0 || a.QueuedCount != 0))
        {
            failures.Enqueue($"{activation} stays busy: running {activation.RunningCount}, queued {activation.QueuedCount}");
        }

        if (catalog.PendingCalls.Count != 0)
        {
            failures.Enqueue($"{catalog.PendingCalls.Count} calls left in the response-timeout registry");
        }

        return new Report(failures, calls, clock.Elapsed, Summarize(outcomes));

        async Task OneCall(IReviewStressGrain grain, string other, int g, long x, int dice, int small)
        {
            var expected = RegressionStressGrain.Expected(x);
            var kind = dice switch
            {
                < 20 => "compute",
                < 35 => "value",
                < 45 => "fail",
                < 55 => "cancel",
                < 60 => "timeout",
                < 72 => "note",
                < 80 => "read",
                < 88 => "interleave",
                _ => "relay",
            };

            try
            {
                switch (kind)
                {
                    case "compute":
                        Check(await grain.Compute(x, (x & 1) == 0));
                        break;
                    case "value":
                        Check(await grain.ComputeValue(x, (x & 1) == 0));
                        break;
                    case "fail":
                        var error = await Record.ExceptionAsync(() => grain.Fail(x, (x & 1) == 0));
                        if (error is not InvalidOperationException || error.Message != $"fail:{x}")
                        {
                            failures.Enqueue($"Fail({x}) ended with {error?.GetType().Name ?? "success"}: {error?.Message}");
                        }

                        Count("fail");
                        return;
                    case "cancel":
                        using (var cancellation = new CancellationTokenSource())
                        {
                            if (small == 0)
                            {
                                await cancellation.CancelAsync();
                            }
                            else
                            {
                                cancellation.CancelAfter(small);
                            }

                            try
                            {
                                Check(await grain.Sleep(x, small, cancellation.Token));
                            }
                            catch (OperationCanceledException)
                            {
                                Count("cancelled");
                                return;
                            }
                        }

                        break;
                    case "timeout":
                        try
                        {
                            Check(await grain.SleepPastTimeout(x, 30 + (small * 10)));
                        }
                        catch (TimeoutException timeout) when (timeout.Message.Contains("SleepPastTimeout", StringComparison.Ordinal))
                        {
                            Count("timed out");
                            return;
                        }

                        break;
                    case "note":
                        Interlocked.Add(ref notes[g], x & 0xFF);
                        await grain.Note(x & 0xFF);
                        break;
                    case "read":
                        Check(await grain.Read(x));
                        break;
                    case "interleave":
                        Check(await grain.Interleaved(x));
                        break;
                    default:
                        Check(await grain.Relay(other, x));
                        break;
                }

                Count(kind);
            }
            catch (Exception exception)
            {
                failures.Enqueue($"{kind}({x}) failed: {exception.GetType().Name}: {exception.Message}");
            }

            void Check(long result)
            {
                if (result != expected)
                {
                    failures.Enqueue($"{kind}({x}) returned {result}, expected {expected} (another call's result?)");
                }
            }
        }

        void Count(string outcome) => outcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
    }

    private static GrainCatalog CatalogOf(TestCluster cluster) => cluster.Services.GetRequiredService<SiloRuntime>().Catalog;

    private static string Summarize(ConcurrentDictionary<string, int> outcomes) =>
        string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
}
