using System.Globalization;

namespace Agents;

/// <summary>
/// The identity of a grain: its <see cref="GrainType"/> and a key. Guid and integer keys are
/// stored in their canonical string form ("D" format, invariant decimal) so that every key kind
/// shares one representation. Formats as <c>type/key</c>.
/// </summary>
public readonly struct GrainId : IEquatable<GrainId>, ISpanFormattable
{
    private readonly string? _key;
    private readonly int _hash;

    public GrainId(GrainType type, string key)
    {
        if (type.IsDefault)
        {
            throw new ArgumentException("A grain id needs a grain type.", nameof(type));
        }

        ArgumentNullException.ThrowIfNull(key);
        Type = type;
        _key = key;
        _hash = HashCode.Combine(type.GetHashCode(), StringComparer.Ordinal.GetHashCode(key));
    }

    public GrainType Type { get; }

    public string Key => _key ?? string.Empty;

    public bool IsDefault => Type.IsDefault;

    public static GrainId Create(GrainType type, string key) => new(type, key);

    public static GrainId Create(GrainType type, Guid key) => new(type, key.ToString("D"));

    public static GrainId Create(GrainType type, long key) => new(type, key.ToString(CultureInfo.InvariantCulture));

    /// <summary>Parses the <c>type/key</c> form produced by <see cref="ToString()"/>.</summary>
    public static GrainId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new FormatException($"'{value}' is not a grain id: expected 'type/key'.");
        }

        return new GrainId(new GrainType(value[..slash]), value[(slash + 1)..]);
    }

    /// <summary>The key as a <see cref="Guid"/>; throws if the key is not a Guid.</summary>
    public Guid GetGuidKey() => Guid.TryParse(Key, out var g)
        ? g
        : throw new InvalidOperationException($"Grain {this} does not have a Guid key.");

    /// <summary>The key as an integer; throws if the key is not an integer.</summary>
    public long GetIntegerKey() => long.TryParse(Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
        ? n
        : throw new InvalidOperationException($"Grain {this} does not have an integer key.");

    public bool Equals(GrainId other) =>
        _hash == other._hash && Type == other.Type && string.Equals(_key, other._key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainId other && Equals(other);

    public override int GetHashCode() => _hash;

    public override string ToString() => $"{Type}/{Key}";

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(provider, $"{Type}/{Key}", out charsWritten);

    public static bool operator ==(GrainId left, GrainId right) => left.Equals(right);

    public static bool operator !=(GrainId left, GrainId right) => !left.Equals(right);
}
