namespace Agents.Invocation;

/// <summary>
/// The runtime that carries calls: the silo's, or a client's. Proxies hand it every request.
/// </summary>
public interface IGrainCallRuntime
{
    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="target"/>. Never throws: failures
    /// (unknown grain, cycle, timeout) complete the request's caller side with an exception.
    /// </summary>
    void SendRequest(GrainReference target, GrainRequest request);
}

/// <summary>
/// A reference to a grain: its id and the runtime that carries its calls. Generated proxies
/// derive from it and implement the grain interface. References are cheap and may be kept, shared
/// and compared; equal ids make equal references.
/// </summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    protected GrainReference(IGrainCallRuntime runtime, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        Runtime = runtime;
        GrainId = grainId;
    }

    public GrainId GrainId { get; }

    /// <summary>The runtime this reference sends through.</summary>
    protected internal IGrainCallRuntime Runtime { get; }

    /// <summary>The runtime's cached resolution of this grain (e.g. its local activation); opaque to everyone else.</summary>
    internal object? CachedTarget;

    /// <summary>Sends a request through the runtime. Generated proxies call this.</summary>
    protected void Send(GrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Runtime.SendRequest(this, request);
    }

    public bool Equals(GrainReference? other) => other is not null && GrainId == other.GrainId;

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => GrainId.ToString();
}
