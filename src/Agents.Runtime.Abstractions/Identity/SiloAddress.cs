using System.Globalization;

namespace Agents;

/// <summary>
/// A silo incarnation: the endpoint it listens on and its generation (an epoch chosen at start-up,
/// so a silo restarted on the same endpoint is a different silo). Formats as <c>host:port@generation</c>.
/// </summary>
public readonly record struct SiloAddress(string Host, int Port, long Generation) : ISpanFormattable
{
    /// <summary>The endpoint without the generation, <c>host:port</c>.</summary>
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Whether both name the same endpoint, whatever the generation.</summary>
    public bool IsSameEndpoint(SiloAddress other) =>
        Port == other.Port && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Endpoint}@{Generation.ToString(CultureInfo.InvariantCulture)}";

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{Host}:{Port}@{Generation}", out charsWritten);

    /// <summary>Parses <c>host:port@generation</c>.</summary>
    public static SiloAddress Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var address)
            ? address
            : throw new FormatException($"'{value}' is not a silo address: expected host:port@generation.");
    }

    /// <summary>Parses <c>host:port@generation</c>; false when <paramref name="value"/> is not one.</summary>
    public static bool TryParse(string? value, out SiloAddress address)
    {
        address = default;
        if (value is null)
        {
            return false;
        }

        var at = value.LastIndexOf('@');
        var colon = at < 0 ? -1 : value.LastIndexOf(':', at);
        if (colon <= 0
            || !int.TryParse(value.AsSpan(colon + 1, at - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !long.TryParse(value.AsSpan(at + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var generation))
        {
            return false;
        }

        address = new SiloAddress(value[..colon], port, generation);
        return true;
    }
}
