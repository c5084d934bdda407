namespace Agents.Topology;

/// <summary>
/// The key a route derives for a signal: a whole string (a subject, a fixed key, a decoded value) or a slice of the
/// signal's data (a JSON value as written), so that finding the agent's lane needs no new string per signal.
/// </summary>
public readonly struct RouteKey
{
    private readonly string? _source;
    private readonly int _start;
    private readonly int _length;

    public RouteKey(string key)
        : this(key, 0, key.Length)
    {
    }

    public RouteKey(string source, int start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start + (ulong)(uint)length, (ulong)source.Length, nameof(length));
        (_source, _start, _length) = (source, start, length);
    }

    /// <summary>No key (the default value).</summary>
    public bool IsNone => _source is null;

    /// <summary>Whether the key is the empty string (which no route accepts).</summary>
    public bool IsEmpty => _length == 0;

    public ReadOnlySpan<char> Span => _source.AsSpan(_start, _length);

    /// <summary>The key as a string: the source itself when the key is all of it.</summary>
    public override string ToString() => _source is null ? "" : _start == 0 && _length == _source.Length ? _source : _source.Substring(_start, _length);
}
