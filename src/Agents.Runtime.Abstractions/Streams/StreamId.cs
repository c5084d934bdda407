using System.Globalization;

namespace Agents.Streams;

/// <summary>The identity of a stream: a namespace (which implicit subscribers use) and a key.</summary>
public readonly struct StreamId : IEquatable<StreamId>
{
    private readonly string? _namespace;
    private readonly string? _key;

    public StreamId(string streamNamespace, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        ArgumentNullException.ThrowIfNull(key);
        _namespace = streamNamespace;
        _key = key;
    }

    public string Namespace => _namespace ?? string.Empty;

    public string Key => _key ?? string.Empty;

    public static StreamId Create(string streamNamespace, string key) => new(streamNamespace, key);

    public static StreamId Create(string streamNamespace, Guid key) => new(streamNamespace, key.ToString("D"));

    public static StreamId Create(string streamNamespace, long key) => new(streamNamespace, key.ToString(CultureInfo.InvariantCulture));

    public bool Equals(StreamId other) =>
        string.Equals(_namespace, other._namespace, StringComparison.Ordinal) && string.Equals(_key, other._key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is StreamId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Namespace), StringComparer.Ordinal.GetHashCode(Key));

    public override string ToString() => $"{Namespace}/{Key}";

    public static bool operator ==(StreamId left, StreamId right) => left.Equals(right);

    public static bool operator !=(StreamId left, StreamId right) => !left.Equals(right);
}
