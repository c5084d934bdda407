using System.Collections.Concurrent;

namespace Agents.Runtime.Tests.Regressions;

// Grains of the lifecycle findings (LifecycleRegressionTests).

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
