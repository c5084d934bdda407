namespace Agents.Runtime.Tests.Grains;

/// <summary>A grain whose activation never finishes on its own.</summary>
public interface ISlowActivationGrain : IGrainWithStringKey
{
    Task<string> Hello();
}

public sealed class SlowActivationGrain : Grain, ISlowActivationGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        this.GetPrimaryKeyString().StartsWith("honours", StringComparison.Ordinal)
            ? Task.Delay(Timeout.Infinite, cancellationToken)
            : Task.Delay(TimeSpan.FromMinutes(5), CancellationToken.None);

    public Task<string> Hello() => Task.FromResult("hello");
}

/// <summary>Read-only requests may run together; a write waits for them.</summary>
public interface IReadOnlyProbeGrain : IGrainWithStringKey
{
    /// <summary>Holds for <paramref name="milliseconds"/>; returns how many readers were in at most.</summary>
    [ReadOnly]
    Task<int> Read(int milliseconds);

    /// <summary>Returns how many readers were in while it ran (must be 0).</summary>
    Task<int> Write();
}

public sealed class ReadOnlyProbeGrain : Grain, IReadOnlyProbeGrain
{
    private int _readers;
    private int _maxReaders;

    public async Task<int> Read(int milliseconds)
    {
        _readers++;
        _maxReaders = Math.Max(_maxReaders, _readers);
        await Task.Delay(milliseconds);
        _readers--;
        return _maxReaders;
    }

    public Task<int> Write() => Task.FromResult(_readers);
}
