using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/// <summary>A key of a YAML mapping that the reader knows, with its value.</summary>
internal readonly record struct YamlEntry(YamlScalarNode Key, YamlNode Value);

/// <summary>Small helpers over YamlDotNet's representation model, and field paths for error messages.</summary>
internal static class YamlNodes
{
    /// <summary>The field path of member <paramref name="name"/> of <paramref name="parent"/> (e.g. <c>agents.desk</c>).</summary>
    public static string Child(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    /// <summary>The field path of item <paramref name="index"/> of <paramref name="parent"/> (e.g. <c>routes[1]</c>).</summary>
    public static string Item(string parent, int index) => $"{parent}[{index}]";

    /// <summary>Whether <paramref name="node"/> is YAML's null: nothing after the colon, <c>~</c> or a plain <c>null</c>.</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null || node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>How <paramref name="node"/> reads in a message: "a mapping", "a list", "nothing" or the quoted scalar.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "nothing",
        YamlScalarNode { Value: { } value } => value.Length <= 40 ? $"'{value}'" : $"'{value[..37]}...'",
        _ => "an unsupported YAML node",
    };

    /// <summary>The text of a non-null scalar, or null after reporting that <paramref name="node"/> must be <paramref name="expected"/>.</summary>
    public static string? Text(YamlNode node, string field, string expected, ErrorList errors)
    {
        if (node is YamlScalarNode { Value: { } value } && !IsNull(node))
        {
            return value;
        }

        errors.Add(node, field, $"must be {expected}, not {Describe(node)}");
        return null;
    }

    /// <summary>
    /// The entries of <paramref name="map"/> whose keys are in <paramref name="allowed"/>; every other key is
    /// reported as not allowed <paramref name="where"/> (e.g. "in a route"), with the allowed keys.
    /// </summary>
    public static Dictionary<string, YamlEntry> ReadMapping(
        YamlMappingNode map, string field, IReadOnlyCollection<string> allowed, string where, ErrorList errors)
    {
        var entries = new Dictionary<string, YamlEntry>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalar || IsNull(keyNode))
            {
                errors.Add(keyNode, field, $"keys {where} must be names, not {Describe(keyNode)}");
                continue;
            }

            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                errors.Add(keyNode, Child(field, key), $"'{key}' is not allowed {where} (allowed: {Naming.List(allowed)}){Naming.DidYouMean(key, allowed)}");
                continue;
            }

            entries[key] = new YamlEntry(scalar, value);
        }

        return entries;
    }
}
