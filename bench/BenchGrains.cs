namespace Agents.Bench;

/// <summary>The grain the call benchmarks ping: it does nothing but answer.</summary>
public interface IPingGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);
}

public sealed class PingGrain : Grain, IPingGrain
{
    public ValueTask<int> Ping(int value) => ValueTask.FromResult(value + 1);
}

/// <summary>An empty grain, for measuring what an idle activation costs.</summary>
public interface IEmptyGrain : IGrainWithIntegerKey
{
    Task Touch();
}

public sealed class EmptyGrain : Grain, IEmptyGrain
{
    public Task Touch() => Task.CompletedTask;
}
