using System.Reflection;
using Agents.Invocation;
using Agents.Streams;

namespace Agents.Runtime.Catalog;

/// <summary>
/// What the runtime needs to know about one grain class, read once from its generated descriptor
/// and its attributes when the manifest loads. Shared by all activations of the class.
/// </summary>
internal sealed class GrainClassInfo
{
    public GrainClassInfo(GrainType grainType, GrainClassDescriptor descriptor, TimeSpan? defaultCollectionAge)
    {
        GrainType = grainType;
        Descriptor = descriptor;
        var type = descriptor.GrainClass;
        IsReentrant = type.GetCustomAttribute<ReentrantAttribute>() is not null;
        if (type.GetCustomAttribute<StatelessWorkerAttribute>() is { } worker)
        {
            MaxLocalWorkers = worker.MaxLocalWorkers > 0 ? worker.MaxLocalWorkers : Environment.ProcessorCount;
        }

        CollectionAge = type.GetCustomAttribute<CollectionAgeLimitAttribute>()?.AgeLimit ?? defaultCollectionAge;
        ImplicitStreamSubscriptions = type.GetCustomAttributes<ImplicitStreamSubscriptionAttribute>().ToArray();
        ImplicitStreamNamespaces = ImplicitStreamSubscriptions.Select(a => a.Namespace).ToArray();
        HasGrainCallFilter = typeof(IIncomingGrainCallFilter).IsAssignableFrom(type);
        Placement = Runtime.Placement.PlacementStrategy.For(type);
    }

    public GrainType GrainType { get; }

    public GrainClassDescriptor Descriptor { get; }

    public Type GrainClass => Descriptor.GrainClass;

    public bool IsReentrant { get; }

    /// <summary>Zero for ordinary grains; the pool size for stateless workers.</summary>
    public int MaxLocalWorkers { get; }

    public bool IsStatelessWorker => MaxLocalWorkers > 0;

    /// <summary>Where new activations go in a cluster (the class's placement attribute; activation-count by default).</summary>
    public Placement.IPlacementDirector Placement { get; }

    /// <summary>The class's own collection age, or null to use the silo's.</summary>
    public TimeSpan? CollectionAge { get; }

    public IReadOnlyList<string> ImplicitStreamNamespaces { get; }

    /// <summary>The class's implicit subscriptions, with what each asks of deliveries.</summary>
    public IReadOnlyList<ImplicitStreamSubscriptionAttribute> ImplicitStreamSubscriptions { get; }

    /// <summary>The grain class itself filters its incoming calls.</summary>
    public bool HasGrainCallFilter { get; }

    public override string ToString() => $"{GrainType} ({GrainClass.FullName})";

    /// <summary>The grain type name of a class: its <see cref="GrainTypeAttribute"/>, or the class name without a "Grain" suffix, lower-cased.</summary>
    public static GrainType GrainTypeOf(Type grainClass)
    {
        if (grainClass.GetCustomAttribute<GrainTypeAttribute>() is { } attribute)
        {
            return new GrainType(attribute.GrainType);
        }

        var name = grainClass.Name;
        if (name.EndsWith("Grain", StringComparison.Ordinal) && name.Length > "Grain".Length)
        {
            name = name[..^"Grain".Length];
        }

        return new GrainType(name.ToLowerInvariant());
    }
}
