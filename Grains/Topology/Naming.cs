namespace Agents.Topology;

/// <summary>Agent type names, name lists in messages, and "did you mean" hints for near-miss spellings.</summary>
internal static class Naming
{
    /// <summary>Whether <paramref name="name"/> is a valid agent type name: letters, digits, '-' and '_'.</summary>
    public static bool IsValidAgentTypeName(string name, out string error)
    {
        if (name.Length == 0)
        {
            error = "an agent type name may not be empty";
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                error = $"agent type name '{name}' has '{c}'; use letters, digits, '-' and '_'";
                return false;
            }
        }

        error = "";
        return true;
    }

    /// <summary>The names comma-separated, or "none".</summary>
    public static string List(IEnumerable<string> names)
    {
        var text = string.Join(", ", names);
        return text.Length == 0 ? "none" : text;
    }

    /// <summary>"; did you mean 'x'?" when one of <paramref name="candidates"/> is a near miss of <paramref name="text"/>, else "".</summary>
    public static string DidYouMean(string text, IReadOnlyCollection<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(text.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // One edit for short names, up to two for longer ones: close enough to be a typo, far enough not to guess wildly.
        if (best is not null && bestDistance <= Math.Clamp(best.Length / 3, 1, 2))
        {
            return $"; did you mean '{best}'?";
        }

        // Or a name that the text starts with (jsonpath -> json, settingsx -> settings).
        var prefix = candidates.FirstOrDefault(c => c.Length >= 3 && text.StartsWith(c, StringComparison.OrdinalIgnoreCase));
        return prefix is null ? "" : $"; did you mean '{prefix}'?";
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one row at a time.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
