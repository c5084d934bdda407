using System.Globalization;
using System.Text.Json;

namespace Agents.Topology;

/*
 * The small JSONPath subset routes and roles use to point into a signal's data:
 *   $                 the data itself
 *   $.customer.id     member access (names of letters, digits, '_' and '-')
 *   $['odd name']     member access by quoted name
 *   $.items[0].sku    array index (0-based, non-negative)
 * No filters, slices or recursive descent: a path names exactly one place, or nothing.
 */

/// <summary>A path to one value inside a JSON document; see the subset at the top of this file.</summary>
public sealed partial class JsonPath
{
    private readonly Step[] _steps;

    private JsonPath(string text, Step[] steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    /// <summary>Parses a path; throws <see cref="FormatException"/> saying what is wrong and where.</summary>
    public static JsonPath Parse(string text) =>
        TryParse(text, out var path, out var error) ? path : throw new FormatException(error);

    public static bool TryParse(string? text, out JsonPath path, out string error)
    {
        path = null!;
        if (string.IsNullOrWhiteSpace(text) || text[0] != '$')
        {
            error = $"'{text}' is not a JSON path: it must start with '$' (e.g. $.customer.id)";
            return false;
        }

        var steps = new List<Step>();
        var i = 1;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '-'))
                {
                    i++;
                }

                if (i == start)
                {
                    error = $"'{text}': expected a member name at position {start + 1}";
                    return false;
                }

                steps.Add(new Step(text[start..i], -1));
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    error = $"'{text}': '[' at position {i + 1} is never closed";
                    return false;
                }

                var inner = text[(i + 1)..close];
                if (inner.Length >= 2 && inner[0] == '\'' && inner[^1] == '\'')
                {
                    steps.Add(new Step(inner[1..^1], -1));
                }
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    steps.Add(new Step(null, index));
                }
                else
                {
                    error = $"'{text}': [{inner}] at position {i + 1} is neither an index nor a quoted name";
                    return false;
                }

                i = close + 1;
            }
            else
            {
                error = $"'{text}': unexpected '{text[i]}' at position {i + 1} (expected '.' or '[')";
                return false;
            }
        }

        path = new JsonPath(text, [.. steps]);
        error = "";
        return true;
    }

    /// <summary>
    /// The value at this path in <paramref name="root"/>, if there is one. Where an object repeats a member name, the first
    /// one counts, as in <see cref="Read"/> (JsonElement.TryGetProperty would take the last), so a router's rules and a
    /// route's key always read the same member.
    /// </summary>
    public bool TryEvaluate(JsonElement root, out JsonElement value)
    {
        value = root;
        foreach (var step in _steps)
        {
            if (step.Name is { } name)
            {
                if (value.ValueKind != JsonValueKind.Object || !TryGetFirst(value, name, out value))
                {
                    return false;
                }
            }
            else if (value.ValueKind != JsonValueKind.Array || step.Index >= value.GetArrayLength())
            {
                return false;
            }
            else
            {
                value = value[step.Index];
            }
        }

        return true;
    }

    private static bool TryGetFirst(JsonElement obj, string name, out JsonElement value)
    {
        foreach (var member in obj.EnumerateObject())
        {
            if (member.NameEquals(name))
            {
                value = member.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Reads the value at this path straight from JSON text, without building a document: a
    /// scalar's text (a string unescaped, a number or boolean as written) and the kind of whatever
    /// is there. The whole text is still checked, so malformed JSON is <see cref="PathRead.NotJson"/>
    /// wherever the fault is, with <paramref name="error"/> naming it and its character position.
    /// Where an object repeats a member name, the first one counts. See JsonPath.Scan.cs.
    /// </summary>
    public PathRead Read(string json, out JsonValueKind kind, out string? text, out string? error)
    {
        var read = ReadKey(json, out kind, out var key, out error);
        text = key.IsNone ? null : key.ToString();
        return read;
    }

    /// <summary>
    /// As <see cref="Read"/>, with a scalar's text as a <see cref="RouteKey"/>: a slice of <paramref name="json"/> where
    /// the text is there as written (no escapes), so routing a signal by it allocates nothing.
    /// </summary>
    public PathRead ReadKey(string json, out JsonValueKind kind, out RouteKey text, out string? error)
    {
        var scan = new Scan(json, _steps);
        if (!scan.Run())
        {
            (kind, text, error) = (JsonValueKind.Undefined, default, scan.Error);
            return PathRead.NotJson;
        }

        (kind, error) = (scan.Kind, null);
        text = !scan.Found ? default
            : scan.Text is { } made ? new RouteKey(made)
            : scan.Kind is JsonValueKind.String or JsonValueKind.Number ? new RouteKey(json, scan.TextStart, scan.TextLength)
            : default;
        return scan.Found ? PathRead.Found : PathRead.Missing;
    }

    public override string ToString() => Text;

    private readonly record struct Step(string? Name, int Index);
}

/// <summary>What <see cref="JsonPath.Read"/> found.</summary>
public enum PathRead
{
    /// <summary>A value is at the path.</summary>
    Found,

    /// <summary>The text is JSON, with nothing at the path.</summary>
    Missing,

    /// <summary>The text is not JSON.</summary>
    NotJson,
}
