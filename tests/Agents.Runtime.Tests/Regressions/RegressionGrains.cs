using System.Collections.Concurrent;
using Agents.Runtime.Core;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Named one-shot gates shared by the review tests and their grains. Completion runs continuations
/// synchronously (no RunContinuationsAsynchronously), so a test that completes a gate a grain method
/// returned directly runs the runtime's completion path on its own thread.
/// </summary>
public static class RegressionGates
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> Gates = new(StringComparer.Ordinal);

    public static TaskCompletionSource<string> Get(string key) => Gates.GetOrAdd(key, static _ => new TaskCompletionSource<string>());

    public static bool Exists(string key) => Gates.ContainsKey(key);

    public static void Open(string key, string value = "open") => Get(key).TrySetResult(value);
}

// ---------------------------------------------------------------------------------------------
// Pooled requests and outgoing filters.

public interface IReviewPoolGrain : IGrainWithStringKey
{
    /// <summary>Returns the gate named <paramref name="key"/> itself (not an async method), ignoring the token.</summary>
    Task<string> Gated(string key, CancellationToken cancellationToken);

    ValueTask<string> Echo(string text);

    [OneWay]
    Task Fire(string key);
}

public sealed class RegressionPoolGrain : Grain, IReviewPoolGrain
{
    public Task<string> Gated(string key, CancellationToken cancellationToken) => RegressionGates.Get(key).Task;

    public ValueTask<string> Echo(string text) => ValueTask.FromResult(text);

    public Task Fire(string key)
    {
        RegressionGates.Open(key, "fired");
        return Task.CompletedTask;
    }
}

// ---------------------------------------------------------------------------------------------
// Deadlock detection.

public interface IReviewCycleGrain : IGrainWithStringKey
{
    /// <summary>Sends a one-way <see cref="CallBackLater"/> to <paramref name="other"/> and returns.</summary>
    Task Kick(string other, string run);

    /// <summary>Waits for gate "{run}:busy-started" to open, then calls <paramref name="origin"/>.Ping() and reports the outcome on gate "{run}:outcome".</summary>
    [OneWay]
    Task CallBackLater(string origin, string run);

    /// <summary>Opens "{run}:busy-started", then holds the grain until "{run}:busy-release" opens.</summary>
    Task Busy(string run);

    Task<string> Ping();
}

public sealed class RegressionCycleGrain : Grain, IReviewCycleGrain
{
    public Task Kick(string other, string run) => GrainFactory.GetGrain<IReviewCycleGrain>(other).CallBackLater(this.GetPrimaryKeyString(), run);

    public async Task CallBackLater(string origin, string run)
    {
        await RegressionGates.Get($"{run}:busy-started").Task;
        Task<string> call;
        try
        {
            call = GrainFactory.GetGrain<IReviewCycleGrain>(origin).Ping();
        }
        catch (Exception exception)
        {
            RegressionGates.Open($"{run}:outcome", exception.GetType().Name);
            return;
        }

        // The call has been enqueued (deadlock detection has decided) by now.
        RegressionGates.Open($"{run}:called");
        try
        {
            RegressionGates.Open($"{run}:outcome", await call);
        }
        catch (Exception exception)
        {
            RegressionGates.Open($"{run}:outcome", exception.GetType().Name);
        }
    }

    public async Task Busy(string run)
    {
        RegressionGates.Open($"{run}:busy-started");
        await RegressionGates.Get($"{run}:busy-release").Task;
    }

    public Task<string> Ping() => Task.FromResult($"pong from {this.GetPrimaryKeyString()}");
}

public interface IReviewReadOnlyCycleGrain : IGrainWithStringKey
{
    /// <summary>Read-only: calls <paramref name="other"/>.ReadBack(this), which calls this grain's read-only Peek.</summary>
    [ReadOnly]
    Task<string> ReadVia(string other);

    [ReadOnly]
    Task<string> ReadBack(string origin);

    [ReadOnly]
    Task<string> Peek();
}

public sealed class RegressionReadOnlyCycleGrain : Grain, IReviewReadOnlyCycleGrain
{
    public Task<string> ReadVia(string other) => GrainFactory.GetGrain<IReviewReadOnlyCycleGrain>(other).ReadBack(this.GetPrimaryKeyString());

    public Task<string> ReadBack(string origin) => GrainFactory.GetGrain<IReviewReadOnlyCycleGrain>(origin).Peek();

    public Task<string> Peek() => Task.FromResult("peeked");
}

public interface IReviewWorkerGrain : IGrainWithStringKey
{
    /// <summary>Calls itself (through the grain id) <paramref name="depth"/> times.</summary>
    [ResponseTimeout("00:00:01")]
    Task<string> CallSelf(int depth);
}

[StatelessWorker(1)]
public sealed class RegressionWorkerGrain : Grain, IReviewWorkerGrain
{
    public Task<string> CallSelf(int depth) => depth <= 0
        ? Task.FromResult("bottom")
        : GrainFactory.GetGrain<IReviewWorkerGrain>(this.GetPrimaryKeyString()).CallSelf(depth - 1);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle.

public interface IReviewSelfDeactivatingGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:00:01")]
    Task<string> Hello();
}

/// <summary>Calls DeactivateOnIdle from OnActivateAsync until its key is put in <see cref="Stopped"/>.</summary>
public sealed class RegressionSelfDeactivatingGrain : Grain, IReviewSelfDeactivatingGrain
{
    public static readonly ConcurrentDictionary<string, int> Activations = new(StringComparer.Ordinal);
    public static readonly ConcurrentDictionary<string, bool> Stopped = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        Activations.AddOrUpdate(key, 1, static (_, n) => n + 1);
        if (!Stopped.ContainsKey(key))
        {
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task<string> Hello() => Task.FromResult("hello");
}

public interface IReviewInterleaveDeactivationGrain : IGrainWithStringKey
{
    /// <summary>Asks for deactivation and fire-and-forgets an [AlwaysInterleave] call to itself.</summary>
    Task Trigger();

    /// <summary>Holds until gate "{key}:slow-release" opens.</summary>
    [AlwaysInterleave]
    Task Slow();
}

public sealed class RegressionInterleaveDeactivationGrain : Grain, IReviewInterleaveDeactivationGrain
{
    public static readonly ConcurrentQueue<string> Events = new();
    private bool _inSlow;

    public Task Trigger()
    {
        DeactivateOnIdle();
        _ = GrainFactory.GetGrain<IReviewInterleaveDeactivationGrain>(this.GetPrimaryKeyString()).Slow();
        return Task.CompletedTask;
    }

    public async Task Slow()
    {
        var key = this.GetPrimaryKeyString();
        _inSlow = true;
        Events.Enqueue($"{key}:slow-start");
        await RegressionGates.Get($"{key}:slow-release").Task;
        _inSlow = false;
        Events.Enqueue($"{key}:slow-end");
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        Events.Enqueue(_inSlow ? $"{key}:deactivate-while-slow-runs" : $"{key}:deactivate");
        RegressionGates.Open($"{key}:deactivated");
        return Task.CompletedTask;
    }
}

public interface IReviewActivatingInterleaveGrain : IGrainWithStringKey
{
    /// <summary>Waits until <see cref="Signal"/> has run.</summary>
    [ResponseTimeout("00:00:02")]
    Task<string> WaitForSignal();

    [AlwaysInterleave]
    [ResponseTimeout("00:00:02")]
    Task Signal();
}

/// <summary>OnActivateAsync waits for gate "{key}:activate" (and opens "{key}:activating" first).</summary>
public sealed class RegressionActivatingInterleaveGrain : Grain, IReviewActivatingInterleaveGrain
{
    private readonly TaskCompletionSource<string> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        RegressionGates.Open($"{key}:activating");
        await RegressionGates.Get($"{key}:activate").Task;
    }

    // Gives up after 3 s so a stuck test does not keep the shared silo from shutting down.
    public Task<string> WaitForSignal() => _signal.Task.WaitAsync(TimeSpan.FromSeconds(3));

    public Task Signal()
    {
        _signal.TrySetResult("signalled");
        return Task.CompletedTask;
    }
}

public interface IReviewTimerGrain : IGrainWithStringKey
{
    Task Start(int periodSeconds, bool keepAlive);
}

public sealed class RegressionTimerGrain : Grain, IReviewTimerGrain
{
    public static readonly ConcurrentDictionary<string, int> Ticks = new(StringComparer.Ordinal);

    public Task Start(int periodSeconds, bool keepAlive)
    {
        var period = TimeSpan.FromSeconds(periodSeconds);
        RegisterGrainTimer(
            static (key, _) =>
            {
                Ticks.AddOrUpdate(key, 1, static (_, n) => n + 1);
                return Task.CompletedTask;
            },
            this.GetPrimaryKeyString(),
            new GrainTimerCreationOptions(period, period) { KeepAlive = keepAlive });
        return Task.CompletedTask;
    }
}

// ---------------------------------------------------------------------------------------------
// Stress.

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

public interface IReviewShutdownWorkerGrain : IGrainWithStringKey
{
    /// <summary>Holds until the gate named <paramref name="gate"/> opens.</summary>
    Task<string> Hold(string gate);
}

/// <summary>A one-worker pool that records each worker's OnDeactivateAsync.</summary>
[StatelessWorker(1)]
public sealed class RegressionShutdownWorkerGrain : Grain, IReviewShutdownWorkerGrain
{
    public static readonly ConcurrentQueue<string> Events = new();
    private readonly Guid _instance = Guid.NewGuid();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Events.Enqueue($"{this.GetPrimaryKeyString()}:activate:{_instance}");
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Events.Enqueue($"{this.GetPrimaryKeyString()}:deactivate:{_instance}");
        return Task.CompletedTask;
    }

    public Task<string> Hold(string gate) => RegressionGates.Get(gate).Task;
}
