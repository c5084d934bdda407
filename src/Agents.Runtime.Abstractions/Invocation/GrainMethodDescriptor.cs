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
    TimeSpan? responseTimeout)
{
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

    public override string ToString() => $"{InterfaceType.Name}.{Name}";
}
