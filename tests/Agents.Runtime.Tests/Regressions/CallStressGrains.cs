using System.Collections.Concurrent;
using Agents.Runtime.Core;

namespace Agents.Runtime.Tests.Regressions;

// Grains of the stress tests (CallStressTests, MixedStress).

public interface IReviewStressGrain : IGrainWithStringKey
{
    Task<long> Compute(long x, bool yield);

    ValueTask<long> ComputeValue(long x, bool yield);

    Task<long> Sleep(long x, int milliseconds, CancellationToken cancellationToken);

    [ResponseTimeout("00:00:00.050")]
    Task<long> SleepPastTimeout(long x, int milliseconds);

    Task<long> Fail(long x, bool afterAwait);

    [OneWay]
    Task Note(long x);

    Task<long> Noted();

    [ReadOnly]
    Task<long> Read(long x);

    [AlwaysInterleave]
    Task<long> Interleaved(long x);

    Task<long> Relay(string other, long x);
}

public sealed class RegressionStressGrain : Grain, IReviewStressGrain
{
    private long _noted;

    public static long Expected(long x) => (x * 3) + 1;

    public async Task<long> Compute(long x, bool yield)
    {
        if (yield)
        {
            await Task.Yield();
        }

        return Expected(x);
    }

    public async ValueTask<long> ComputeValue(long x, bool yield)
    {
        if (yield)
        {
            await Task.Yield();
        }

        return Expected(x);
    }

    public async Task<long> Sleep(long x, int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return Expected(x);
    }

    public async Task<long> SleepPastTimeout(long x, int milliseconds)
    {
        await Task.Delay(milliseconds);
        return Expected(x);
    }

    public async Task<long> Fail(long x, bool afterAwait)
    {
        if (afterAwait)
        {
            await Task.Yield();
        }

        throw new InvalidOperationException($"fail:{x}");
    }

    public Task Note(long x)
    {
        _noted += x;
        return Task.CompletedTask;
    }

    public Task<long> Noted() => Task.FromResult(_noted);

    public Task<long> Read(long x) => Task.FromResult(Expected(x));

    public Task<long> Interleaved(long x) => Task.FromResult(Expected(x));

    public Task<long> Relay(string other, long x) => GrainFactory.GetGrain<IReviewStressGrain>(other).Compute(x, (x & 1) == 0);
}

public interface IReviewHopGrain : IGrainWithStringKey
{
    /// <summary>One-way: records whether this grain is <paramref name="intendedKey"/>, then hops on.</summary>
    [OneWay]
    Task Hop(string intendedKey, int remaining, int seed);
}

/// <summary>One-way hops through shared, long-lived references (references are cached as applications do).</summary>
public sealed class RegressionHopGrain : Grain, IReviewHopGrain
{
    public const int Keys = 32;
    public static readonly ConcurrentDictionary<string, IReviewHopGrain> References = new(StringComparer.Ordinal);
    public static long Hops;
    public static long Misdelivered;
    public static readonly ConcurrentQueue<string> MisdeliveryExamples = new();

    public static IReviewHopGrain Reference(IGrainFactory factory, string key) => References.GetOrAdd(key, k => factory.GetGrain<IReviewHopGrain>(k));

    public Task Hop(string intendedKey, int remaining, int seed)
    {
        var self = this.GetPrimaryKeyString();
        if (!string.Equals(intendedKey, self, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref Misdelivered);
            if (MisdeliveryExamples.Count < 5)
            {
                MisdeliveryExamples.Enqueue($"grain {self} ran Hop meant for {intendedKey} (runtime context {RuntimeContext.Current?.GrainId})");
            }
        }

        if (remaining > 0)
        {
            var next = $"hop-{(uint)((seed * 31) + remaining) % Keys}";
            _ = Reference(GrainFactory, next).Hop(next, remaining - 1, seed + 7);
        }

        Interlocked.Increment(ref Hops);
        return Task.CompletedTask;
    }
}
