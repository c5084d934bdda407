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

/// <summary>
/// The state the storage benchmarks write: about 110 bytes of JSON with the default serializer,
/// e.g. <c>{"sequence":12345,"owner":"writer-00000001","status":"active","balance":12345.5,"note":"..."}</c>.
/// The grain and the raw baseline fill and encode it the same way, so both store the same bytes.
/// </summary>
public sealed class LedgerState
{
    public long Sequence { get; set; }

    public string Owner { get; set; } = string.Empty;

    public string Status { get; set; } = string.Empty;

    public decimal Balance { get; set; }

    public string Note { get; set; } = string.Empty;

    /// <summary>The next state of writer <paramref name="writer"/>: everything but the sequence and balance stays put.</summary>
    public void Advance(long writer, long sequence)
    {
        if (Owner.Length == 0)
        {
            Owner = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"writer-{writer:D8}");
            Status = "active";
            Note = "state-write-pg benchmark payload";
        }

        Sequence = sequence;
        Balance = 10_000m + (sequence % 100_000) / 2m;
    }
}

/// <summary>A grain whose one method changes its durable state and writes it, as an agent recording progress would.</summary>
public interface IStateWriterGrain : IGrainWithIntegerKey
{
    Task Write(long sequence);
}

[GrainType(TypeName)]
public sealed class StateWriterGrain([PersistentState(StateWriterGrain.StateName, StateWriterGrain.StorageName)] IPersistentState<LedgerState> state)
    : Grain, IStateWriterGrain
{
    /// <summary>The storage provider the scenario registers for this grain.</summary>
    public const string StorageName = "bench-pg";

    /// <summary>The grain type, which is the <c>grain_type</c> column of its rows; the raw baseline's rows use it too.</summary>
    public const string TypeName = "statewriter";

    public const string StateName = "ledger";

    public Task Write(long sequence)
    {
        state.State.Advance(this.GetPrimaryKeyLong(), sequence);
        return state.WriteStateAsync();
    }
}
