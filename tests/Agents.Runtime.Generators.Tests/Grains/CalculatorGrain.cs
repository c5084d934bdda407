namespace Agents.Runtime.Generators.Tests.Grains;

/// <summary>Every return shape, a CancellationToken, flags, a timeout, an alias and failures.</summary>
public interface ICalculatorGrain : IGrainWithStringKey
{
    Task Reset();

    Task<int> Add(int value);

    ValueTask Touch();

    ValueTask<int> Sum(int a, int b);

    Task<string?> Echo(string? text);

    [ReadOnly]
    Task<int> GetTotal();

    Task<bool> IsCancelled(string label, CancellationToken cancellationToken);

    [AlwaysInterleave]
    [ResponseTimeout("00:00:05")]
    Task<string> Ping();

    [Alias("calculator-describe")]
    Task<string> Describe();

    Task<string> GetKey();

    /// <summary>Throws before returning a task.</summary>
    Task Fail(string message);

    /// <summary>Returns a task that faults later.</summary>
    Task<int> FailAsync(string message);

    /// <summary>Returns a ValueTask that faults later.</summary>
    ValueTask FailValueTask(string message);

    /// <summary>Completes when <see cref="Release"/> is called.</summary>
    Task<int> WaitForRelease();

    Task Release(int value);
}

public sealed class CalculatorGrain : Grain, ICalculatorGrain
{
    private readonly TaskCompletionSource<int> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _total;

    public int Touches { get; private set; }

    public Task Reset()
    {
        _total = 0;
        return Task.CompletedTask;
    }

    public Task<int> Add(int value) => Task.FromResult(_total += value);

    public ValueTask Touch()
    {
        Touches++;
        return default;
    }

    public ValueTask<int> Sum(int a, int b) => new(a + b);

    public Task<string?> Echo(string? text) => Task.FromResult(text);

    public Task<int> GetTotal() => Task.FromResult(_total);

    public Task<bool> IsCancelled(string label, CancellationToken cancellationToken) => Task.FromResult(cancellationToken.IsCancellationRequested);

    public Task<string> Ping() => Task.FromResult("pong");

    public Task<string> Describe() => Task.FromResult($"calculator {_total}");

    public Task<string> GetKey() => Task.FromResult(this.GetPrimaryKeyString());

    public Task Fail(string message) => throw new InvalidOperationException(message);

    public async Task<int> FailAsync(string message)
    {
        await Task.Yield();
        throw new ArgumentException(message);
    }

    public async ValueTask FailValueTask(string message)
    {
        await Task.Yield();
        throw new FormatException(message);
    }

    public Task<int> WaitForRelease() => _released.Task;

    public Task Release(int value)
    {
        _released.TrySetResult(value);
        return Task.CompletedTask;
    }
}
