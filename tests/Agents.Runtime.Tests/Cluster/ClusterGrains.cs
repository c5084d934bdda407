using System.Collections.Concurrent;
using Agents.Runtime.Hosting;
using Agents.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Cluster;

[GenerateSerializer]
public sealed class Parcel
{
    [Id(0)]
    public string Label { get; set; } = "";

    [Id(1)]
    public List<int> Items { get; set; } = [];
}

[GenerateSerializer]
public sealed class ParcelRejectedException(string message, Exception? inner = null) : Exception(message, inner)
{
    [Id(0)]
    public string? Reason { get; set; }
}

public sealed class ClusterCounterState
{
    public int Count { get; set; }
}

/// <summary>A grain that knows where it runs, counts its activations across the whole test process, and keeps a durable counter.</summary>
public interface IPlacedGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();

    Task<int> Increment();

    Task<int> Get();

    Task<Parcel> Echo(Parcel parcel);

    Task Reject(string reason);

    /// <summary>Calls <paramref name="other"/> from this grain (grain-to-grain, possibly across silos).</summary>
    Task<string> AskWhere(string other);
}

public sealed class PlacedGrain(IServiceProvider services, [PersistentState("counter")] IPersistentState<ClusterCounterState> state) : Grain, IPlacedGrain
{
    /// <summary>Activations per grain key over the whole test process (all silos).</summary>
    public static readonly ConcurrentDictionary<string, int> Activations = new();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Activations.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task<string> WhereAmI() => Task.FromResult(services.GetRequiredService<SiloCluster>().Self.ToString());

    public async Task<int> Increment()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> Get() => Task.FromResult(state.State.Count);

    public Task<Parcel> Echo(Parcel parcel) => Task.FromResult(new Parcel { Label = parcel.Label + "!", Items = [.. parcel.Items, parcel.Items.Count] });

    public Task Reject(string reason) => throw new ParcelRejectedException($"rejected: {reason}") { Reason = reason };

    public Task<string> AskWhere(string other) => GrainFactory.GetGrain<IPlacedGrain>(other).WhereAmI();
}

/// <summary>Takes any value: the argument arrives typed, so its type name travels on the wire.</summary>
public interface IDescribeGrain : IGrainWithStringKey
{
    Task<string> Describe(object value);
}

public sealed class DescribeGrain : Grain, IDescribeGrain
{
    public Task<string> Describe(object value) => Task.FromResult(value.GetType().Name);
}

/// <summary>Sends a burst of one-way appends from inside a grain turn; lives where it is first called.</summary>
public interface ISequenceSenderGrain : IGrainWithStringKey
{
    Task Burst(string target, int count);
}

[PreferLocalPlacement]
public sealed class SequenceSenderGrain : Grain, ISequenceSenderGrain
{
    public Task Burst(string target, int count)
    {
        var grain = GrainFactory.GetGrain<ISequenceGrain>(target);
        for (var n = 0; n < count; n++)
        {
            _ = grain.Append(n);
        }

        return Task.CompletedTask;
    }
}
