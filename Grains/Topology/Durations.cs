using System.Globalization;

namespace Agents.Topology;

/*
 * Durations in agents.yaml:
 *   - short form: a number and a unit, ms, s, m or h (250ms, 30s, 1.5s, 5m, 1h), spaces allowed
 *     between them; parts may be combined and are added up (1h30m, 2m 30s);
 *   - ISO-8601: P[nW][nD][T[nH][nM][nS]] (PT30S, PT1H30M, P1D); designators in that order, the
 *     numbers may have a fraction ('.' or ','); years and months are refused (no fixed length).
 * Negative durations are refused. A duration is stored in settings in TimeSpan's invariant "c"
 * format (00:00:30, 1.00:00:00, 00:00:00.2500000) so roles read it back with TimeSpan.Parse.
 */

/// <summary>Parses durations as written in <c>agents.yaml</c>; see the forms at the top of this file.</summary>
internal static class Durations
{
    public const string Examples = "250ms, 30s, 5m, 1h, 1h30m or ISO-8601 such as PT30S";

    private static readonly decimal MaxTicks = TimeSpan.MaxValue.Ticks;

    /// <summary>The duration written as <paramref name="text"/>, or false with <paramref name="error"/> saying what is wrong.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = default;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = $"a duration may not be empty; write e.g. {Examples}";
            return false;
        }

        if (trimmed[0] == '-')
        {
            error = $"'{trimmed}': a duration may not be negative";
            return false;
        }

        var parsed = trimmed[0] is 'P' or 'p'
            ? TryParseIso(trimmed.ToUpperInvariant(), out var ticks, out var reason)
            : TryParseShort(trimmed, out ticks, out reason);
        if (!parsed)
        {
            error = $"'{trimmed}' is not a duration: {reason}; write e.g. {Examples}";
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Round(ticks, MidpointRounding.AwayFromZero));
        error = "";
        return true;
    }

    /// <summary>The form a duration is stored in within settings JSON.</summary>
    public static string Normalize(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    private static bool TryParseShort(string text, out decimal ticks, out string reason)
    {
        ticks = 0;
        var i = 0;
        while (i < text.Length)
        {
            var numberStart = i;
            if (!TryReadNumber(text, ref i, out var number, out reason))
            {
                return false;
            }

            while (i < text.Length && text[i] == ' ')
            {
                i++; // "30 s" reads like "30s"
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            long? unit = text[unitStart..i] switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => null,
            };
            if (unit is null)
            {
                reason = unitStart == i
                    ? $"{text[numberStart..unitStart].TrimEnd()} has no unit (ms, s, m or h)"
                    : $"'{text[unitStart..i]}' is not a unit (use ms, s, m or h)";
                return false;
            }

            if (!TryAdd(ref ticks, number * unit.Value, out reason))
            {
                return false;
            }

            while (i < text.Length && text[i] == ' ')
            {
                i++; // "1h 30m" reads like "1h30m"
            }
        }

        reason = "";
        return true;
    }

    private static bool TryParseIso(string text, out decimal ticks, out string reason)
    {
        ticks = 0;
        var i = 1; // after 'P'
        var inTime = false;
        var rank = -1; // designators must come in the order W, D, H, M, S
        var parts = 0;
        while (i < text.Length)
        {
            if (text[i] == 'T' && !inTime)
            {
                inTime = true;
                i++;
                continue;
            }

            if (!TryReadNumber(text, ref i, out var number, out reason))
            {
                return false;
            }

            if (i == text.Length)
            {
                reason = $"the number at the end has no designator ({(inTime ? "H, M or S" : "W or D")})";
                return false;
            }

            var designator = text[i++];
            var (unit, unitRank) = (inTime, designator) switch
            {
                (false, 'W') => (TimeSpan.TicksPerDay * 7, 0),
                (false, 'D') => (TimeSpan.TicksPerDay, 1),
                (true, 'H') => (TimeSpan.TicksPerHour, 2),
                (true, 'M') => (TimeSpan.TicksPerMinute, 3),
                (true, 'S') => (TimeSpan.TicksPerSecond, 4),
                _ => (0L, -1),
            };
            if (unitRank < 0)
            {
                reason = designator is 'Y' or 'M'
                    ? "years and months have no fixed length (use days, e.g. P30D)"
                    : $"'{designator}' is not a designator {(inTime ? "after 'T' (use H, M or S)" : "before 'T' (use W or D; hours, minutes and seconds come after 'T')")}";
                return false;
            }

            if (unitRank <= rank)
            {
                reason = "its parts must come in the order W, D, T, H, M, S, each at most once";
                return false;
            }

            rank = unitRank;
            parts++;
            if (!TryAdd(ref ticks, number * unit, out reason))
            {
                return false;
            }
        }

        reason = parts == 0 ? "it has no parts (e.g. PT30S)" : inTime && rank < 2 ? "'T' must be followed by hours, minutes or seconds" : "";
        return reason.Length == 0;
    }

    /// <summary>Reads digits with an optional fraction at <paramref name="i"/>.</summary>
    private static bool TryReadNumber(string text, ref int i, out decimal number, out string reason)
    {
        var start = i;
        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or ','))
        {
            i++;
        }

        var digits = text[start..i].Replace(',', '.');
        if (digits.Length == 0)
        {
            number = 0;
            reason = i < text.Length ? $"expected a number at '{text[i..]}'" : "it ends where a number should be";
            return false;
        }

        // 15 digits are plenty for any duration TimeSpan can hold and keep the arithmetic far from decimal's limits.
        if (digits.Length > 15 || !decimal.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number))
        {
            number = 0;
            reason = $"'{digits}' is not a usable number";
            return false;
        }

        reason = "";
        return true;
    }

    private static bool TryAdd(ref decimal ticks, decimal more, out string reason)
    {
        ticks += more;
        reason = ticks > MaxTicks ? $"it is longer than the longest duration, {Normalize(TimeSpan.MaxValue)}" : "";
        return reason.Length == 0;
    }
}
