namespace Agents.Runtime.Tests.Regressions;

// Grains of the pooled-request and filter findings (FilterRegressionTests).

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
