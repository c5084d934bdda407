namespace Agents.Runtime.Tests.Grains;

public sealed class CounterState
{
    public int Count { get; set; }

    public List<string> History { get; set; } = [];
}

/// <summary>A grain with durable state in the default storage provider.</summary>
public interface IStatefulGrain : IGrainWithStringKey
{
    Task<int> Increment(string note);

    Task<int> Get();

    Task<string?> GetEtag();

    Task<List<string>> History();

    Task Clear();

    /// <summary>Changes state in memory only; it is written by OnDeactivateAsync.</summary>
    Task SetUnsaved(int count);
}

public sealed class StatefulGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, IStatefulGrain
{
    public async Task<int> Increment(string note)
    {
        state.State.Count++;
        state.State.History.Add(note);
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> Get() => Task.FromResult(state.State.Count);

    public Task<string?> GetEtag() => Task.FromResult(state.Etag);

    public Task<List<string>> History() => Task.FromResult(state.State.History.ToList());

    public Task Clear() => state.ClearStateAsync();

    public Task SetUnsaved(int count)
    {
        state.State.Count = count;
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        reason.Code == DeactivationReasonCode.ShuttingDown && state.State.Count >= 1000 ? state.WriteStateAsync(cancellationToken) : Task.CompletedTask;
}
