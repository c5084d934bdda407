namespace Agents.Tests.Shared;

/// <summary>Records one-way appends in arrival order; lives on the silo that first called it (or whose gateway did). For tests of call order.</summary>
public interface ISequenceGrain : IGrainWithStringKey
{
    [OneWay]
    Task Append(int n);

    Task<List<int>> Seen();
}

[PreferLocalPlacement]
public sealed class SequenceGrain : Grain, ISequenceGrain
{
    private readonly List<int> _seen = [];

    public Task Append(int n)
    {
        _seen.Add(n);
        return Task.CompletedTask;
    }

    public Task<List<int>> Seen() => Task.FromResult(_seen.ToList());
}
