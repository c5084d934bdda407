namespace Agents.Invocation;

/// <summary>Per-method flags the generator reads from attributes.</summary>
[Flags]
public enum GrainMethodOptions
{
    None = 0,

    /// <summary><see cref="OneWayAttribute"/>: the caller does not wait.</summary>
    OneWay = 1,

    /// <summary><see cref="ReadOnlyAttribute"/>: may interleave with other read-only requests.</summary>
    ReadOnly = 2,

    /// <summary><see cref="AlwaysInterleaveAttribute"/>: may interleave with anything.</summary>
    AlwaysInterleave = 4,
}

/// <summary>A grain method as the runtime sees it: stable ids, flags and timeout, built once per method by generated code.</summary>
public sealed class GrainMethodDescriptor(
    Type interfaceType,
    uint interfaceId,
    string name,
    uint methodId,
    GrainMethodOptions options,
    TimeSpan? responseTimeout,
    Func<GrainRequest>? requestFactory)
{
    // Generated descriptors pass a factory; a transport uses it to create the request for an incoming call.
    private readonly Func<GrainRequest>? _requestFactory = requestFactory;

    /// <summary>A descriptor without a request factory: the method can be called locally only.</summary>
    public GrainMethodDescriptor(Type interfaceType, uint interfaceId, string name, uint methodId, GrainMethodOptions options, TimeSpan? responseTimeout)
        : this(interfaceType, interfaceId, name, methodId, options, responseTimeout, null)
    {
    }

    public Type InterfaceType { get; } = interfaceType;

    /// <summary>Stable id of the interface: from its <see cref="AliasAttribute"/> or a hash of its full name.</summary>
    public uint InterfaceId { get; } = interfaceId;

    public string Name { get; } = name;

    /// <summary>Stable id of the method within its interface: from its alias or a hash of its name and parameter types.</summary>
    public uint MethodId { get; } = methodId;

    public GrainMethodOptions Options { get; } = options;

    /// <summary>The method's <see cref="ResponseTimeoutAttribute"/>, if any.</summary>
    public TimeSpan? ResponseTimeout { get; } = responseTimeout;

    public bool IsOneWay => (Options & GrainMethodOptions.OneWay) != 0;

    public bool IsReadOnly => (Options & GrainMethodOptions.ReadOnly) != 0;

    public bool IsAlwaysInterleave => (Options & GrainMethodOptions.AlwaysInterleave) != 0;

    /// <summary>Whether <see cref="CreateRequest"/> can make requests for this method (generated descriptors can).</summary>
    public bool CanCreateRequest => _requestFactory is not null;

    /// <summary>
    /// A request for this method, rented from its pool and armed as a proxy's would be, for a
    /// transport that received a call: it fills the arguments with <see cref="GrainRequest.ReadArguments"/>.
    /// </summary>
    public GrainRequest CreateRequest() =>
        _requestFactory?.Invoke() ?? throw new NotSupportedException($"Method {this} has no request factory; it cannot be called remotely.");

    public override string ToString() => $"{InterfaceType.Name}.{Name}";
}
