namespace Agents.Signals;

/*
 * Topics are dotted names: one or more segments of letters, digits, '-' and '_', separated by '.'
 * (tickets.created, billing.invoice-paid). A pattern matches topics segment by segment:
 *   - a literal segment matches itself (ordinal, case-sensitive);
 *   - '*' matches exactly one segment        (tickets.* matches tickets.created, not tickets.a.b);
 *   - '#' as the last segment matches one or more remaining segments (tickets.# matches both);
 *   - a lone '#' matches every topic.
 * These are AMQP topic-exchange rules, which most people who route messages already know.
 */

/// <summary>A topic pattern such as <c>tickets.*</c> or <c>billing.#</c>; see the rules at the top of this file.</summary>
public sealed class TopicPattern : IEquatable<TopicPattern>
{
    private readonly string[] _segments;

    private TopicPattern(string text, string[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>True when the pattern has no wildcard (it names one topic).</summary>
    public bool IsLiteral => !Text.Contains('*', StringComparison.Ordinal) && !Text.Contains('#', StringComparison.Ordinal);

    /// <summary>Parses a pattern; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static TopicPattern Parse(string text) =>
        TryParse(text, out var pattern, out var error) ? pattern : throw new FormatException(error);

    /// <summary>Parses a pattern; on failure <paramref name="error"/> says what is wrong with it.</summary>
    public static bool TryParse(string? text, out TopicPattern pattern, out string error)
    {
        pattern = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a topic pattern may not be empty";
            return false;
        }

        var segments = text.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment is "*")
            {
                continue;
            }

            if (segment is "#")
            {
                if (i != segments.Length - 1)
                {
                    error = $"'{text}': '#' may only be the last segment (it matches the rest of the topic)";
                    return false;
                }

                continue;
            }

            if (!IsValidSegment(segment, out var reason))
            {
                error = $"'{text}': segment {i + 1} {reason}";
                return false;
            }
        }

        pattern = new TopicPattern(text, segments);
        error = "";
        return true;
    }

    /// <summary>Checks a concrete topic (no wildcards) and returns it; throws <see cref="FormatException"/> naming the problem.</summary>
    public static string ValidateTopic(string topic)
    {
        if (!IsValidTopic(topic, out var error))
        {
            throw new FormatException(error);
        }

        return topic;
    }

    private static string? _lastValid; // read and written whole: whichever thread wrote it last, it is a valid topic

    /// <summary>Whether <paramref name="topic"/> is a valid concrete topic; <paramref name="error"/> says why not.</summary>
    public static bool IsValidTopic(string? topic, out string error)
    {
        if (ReferenceEquals(topic, _lastValid))
        {
            // The topic most recently found valid, the very same string (strings do not change): a publisher's usual case.
            error = "";
            return true;
        }

        if (string.IsNullOrWhiteSpace(topic))
        {
            error = "a topic may not be empty";
            return false;
        }

        if (IsWellFormed(topic))
        {
            // The common case, checked without allocating; only a bad topic is split to say what is wrong.
            _lastValid = topic;
            error = "";
            return true;
        }

        var segments = topic.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            if (!IsValidSegment(segments[i], out var reason))
            {
                error = $"topic '{topic}': segment {i + 1} {reason}";
                return false;
            }
        }

        error = "";
        return true;
    }

    /// <summary>Whether the concrete <paramref name="topic"/> matches this pattern.</summary>
    public bool Matches(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var position = 0;
        for (var i = 0; i < _segments.Length; i++)
        {
            if (position > topic.Length)
            {
                return false;
            }

            var segment = _segments[i];
            if (segment is "#")
            {
                // One or more remaining segments.
                return position < topic.Length;
            }

            var end = topic.IndexOf('.', position);
            if (end < 0)
            {
                end = topic.Length;
            }

            var current = topic.AsSpan(position, end - position);
            if (current.IsEmpty || (segment is not "*" && !current.SequenceEqual(segment)))
            {
                return false;
            }

            position = end + 1;
        }

        // Every topic segment must have been consumed.
        return position == topic.Length + 1;
    }

    /// <summary>Segments of letters, digits, '-' and '_' separated by single dots, none empty.</summary>
    private static bool IsWellFormed(string topic)
    {
        var segmentLength = 0;
        foreach (var c in topic)
        {
            if (c == '.')
            {
                if (segmentLength == 0)
                {
                    return false;
                }

                segmentLength = 0;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                segmentLength++;
            }
            else
            {
                return false;
            }
        }

        return segmentLength > 0;
    }

    private static bool IsValidSegment(string segment, out string reason)
    {
        if (segment.Length == 0)
        {
            reason = "is empty (two dots in a row, or a leading or trailing dot)";
            return false;
        }

        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                reason = c is '*' or '#'
                    ? $"'{segment}' mixes a wildcard with other characters (a wildcard must be a whole segment)"
                    : $"'{segment}' has '{c}'; use letters, digits, '-' and '_'";
                return false;
            }
        }

        reason = "";
        return true;
    }

    public bool Equals(TopicPattern? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as TopicPattern);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}
