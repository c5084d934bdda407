namespace Agents;

/// <summary>
/// A grain class whose activations may interleave requests at awaits (never run them in
/// parallel). Use when a grain calls out and must keep answering meanwhile.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute
{
}

/// <summary>
/// A stateless grain: requests go to a pool of up to <see cref="MaxLocalWorkers"/> activations
/// per silo, created on demand; the activations are not registered in the grain directory.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class StatelessWorkerAttribute(int maxLocalWorkers) : Attribute
{
    public StatelessWorkerAttribute()
        : this(-1)
    {
    }

    /// <summary>Upper bound of activations per silo; -1 means the processor count.</summary>
    public int MaxLocalWorkers { get; } = maxLocalWorkers;
}

/// <summary>Overrides the grain type name derived from the class name.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute(string grainType) : Attribute
{
    public string GrainType { get; } = grainType;
}

/// <summary>
/// The grain type <c>GetGrain&lt;T&gt;(key)</c> means for this interface when the process has no
/// grain class implementing it: how a client that references only the grain interfaces (not the
/// grain classes) reaches them. A loaded implementing class still decides where there is one.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class DefaultGrainTypeAttribute(string grainType) : Attribute
{
    public string GrainType { get; } = grainType;
}

/// <summary>How long an idle activation of this grain class is kept before collection.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class CollectionAgeLimitAttribute(string ageLimit) : Attribute
{
    /// <summary>A <see cref="TimeSpan"/> in its invariant format, e.g. <c>"00:05:00"</c>.</summary>
    public TimeSpan AgeLimit { get; } = TimeSpan.Parse(ageLimit, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A method that may interleave with any other request of the grain, even on non-reentrant grains.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute
{
}

/// <summary>A method that does not change grain state: read-only requests may interleave with each other.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute
{
}

/// <summary>Fire-and-forget: the caller does not wait for, or learn about, the result. The method must return <c>Task</c> or <c>ValueTask</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute
{
}

/// <summary>The response timeout of calls to this method, overriding the silo's default.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute(string timeout) : Attribute
{
    /// <summary>A <see cref="TimeSpan"/> in its invariant format, e.g. <c>"00:03:00"</c>.</summary>
    public TimeSpan Timeout { get; } = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A stable name for an interface, method or serializable type. Ids on the wire derive from it,
/// so renaming or moving the code keeps compatibility.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum)]
public sealed class AliasAttribute(string alias) : Attribute
{
    public string Alias { get; } = alias;
}

/// <summary>Activations of this grain class are placed on a random compatible silo.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RandomPlacementAttribute : Attribute
{
}

/// <summary>Activations of this grain class are placed on the calling silo when it can host them.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class PreferLocalPlacementAttribute : Attribute
{
}

/// <summary>Activations of this grain class are placed by a hash of the grain id over the compatible silos.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class HashBasedPlacementAttribute : Attribute
{
}

/// <summary>Activations of this grain class go to the least loaded of two random silos (the default).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ActivationCountBasedPlacementAttribute : Attribute
{
}

/// <summary>
/// The grain's key is a silo address (<c>host:port@generation</c>, as <see cref="SiloAddress"/> formats it)
/// and its one activation lives on that silo: a way to reach a given silo with an ordinary grain
/// call (per-silo agents, fan-out to every silo). A call to a silo that is not Active fails with
/// <c>SiloUnavailableException</c>; the grain never moves elsewhere.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class SiloKeyedPlacementAttribute : Attribute
{
}

/// <summary>Activations of this grain class are placed only on silos with the given role.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class SiloRoleBasedPlacementAttribute(string role) : Attribute
{
    public string Role { get; } = role;
}
