namespace Agents.Runtime.Tests.Regressions;

// Grains of the deadlock-detection findings (CallCycleRegressionTests).

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
