namespace Agents;

/// <summary>
/// The name of a kind of grain, e.g. <c>counter</c>. Derived from the grain class name (without a
/// <c>Grain</c> suffix, lower-cased) or set with <see cref="GrainTypeAttribute"/>.
/// </summary>
public readonly struct GrainType : IEquatable<GrainType>
{
    private readonly string? _value;

    public GrainType(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A grain type may not contain '/': '{value}'.", nameof(value));
        }

        _value = string.Intern(value);
    }

    public string Value => _value ?? string.Empty;

    public bool IsDefault => _value is null;

    public bool Equals(GrainType other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainType other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public override string ToString() => Value;

    public static bool operator ==(GrainType left, GrainType right) => left.Equals(right);

    public static bool operator !=(GrainType left, GrainType right) => !left.Equals(right);
}
