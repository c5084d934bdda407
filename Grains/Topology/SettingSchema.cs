using System.Globalization;
using System.Text.Json.Nodes;
using Agents.Signals;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/// <summary>An agent type named inside settings (an llm's tools), checked once every agent type is known.</summary>
internal readonly record struct AgentReference(string Name, Mark At, string Field);

/// <summary>What converting one agent's settings needs: where errors go, and where agent type names are collected.</summary>
internal sealed class SettingsContext(ErrorList errors)
{
    public ErrorList Errors { get; } = errors;

    public List<AgentReference> References { get; } = [];
}

/// <summary>
/// The expected shape of a setting value. Converting checks a YAML node against it and produces the
/// JSON the role reads; each kind decides what its scalars become (text, number, boolean).
/// </summary>
internal abstract class SettingSchema
{
    /// <summary>What a valid value looks like, for messages ("a whole number from 1 to 20").</summary>
    public abstract string Expected { get; }

    /// <summary>
    /// The value of <paramref name="node"/> (never YAML null: callers handle absent values) as JSON, or
    /// null after reporting at least one error.
    /// </summary>
    public abstract JsonNode? Convert(YamlNode node, string field, SettingsContext context);

    /// <summary>The text of a scalar, or null after reporting that the value must be <see cref="Expected"/>.</summary>
    protected string? Text(YamlNode node, string field, SettingsContext context) =>
        YamlNodes.Text(node, field, Expected, context.Errors);

    protected static JsonNode? Fail(YamlNode node, string field, SettingsContext context, string message)
    {
        context.Errors.Add(node, field, message);
        return null;
    }
}

/// <summary>One key of an <see cref="ObjectSchema"/>; <see cref="Purpose"/> explains it when it is missing.</summary>
internal sealed record SettingField(string Name, SettingSchema Schema, bool Required, string Purpose);

/// <summary>What a cross-field check of an <see cref="ObjectSchema"/> sees: the keys given, where the mapping is, its field path.</summary>
internal sealed record ObjectCheck(IReadOnlyDictionary<string, YamlEntry> Entries, Mark At, string Field, ErrorList Errors)
{
    /// <summary>Whether <paramref name="name"/> is given with a value other than YAML null.</summary>
    public bool Has(string name) => Entries.TryGetValue(name, out var entry) && !YamlNodes.IsNull(entry.Value);
}

/// <summary>A mapping with known keys; <c>owner</c> names it in messages ("the settings of role llm", "a window").</summary>
internal sealed class ObjectSchema(string owner, IReadOnlyList<SettingField> fields, Action<ObjectCheck>? check = null) : SettingSchema
{
    private readonly string[] _names = [.. fields.Select(f => f.Name)];

    public override string Expected => $"a mapping with keys {Naming.List(_names)}";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context) =>
        node is YamlMappingNode map
            ? ConvertMapping(map, map.Start, field, context)
            : Fail(node, field, context, $"must be {Expected}, not {YamlNodes.Describe(node)}");

    /// <summary>
    /// Converts <paramref name="map"/>, or checks that nothing is required when it is null (the mapping
    /// is absent; <paramref name="whereAbsent"/> is where missing keys are reported then).
    /// </summary>
    public JsonObject? ConvertMapping(YamlMappingNode? map, Mark whereAbsent, string field, SettingsContext context)
    {
        var before = context.Errors.Count;
        var entries = map is null
            ? []
            : YamlNodes.ReadMapping(map, field, _names, $"in {owner}", context.Errors);
        var result = new JsonObject();
        foreach (var setting in fields)
        {
            var path = YamlNodes.Child(field, setting.Name);
            if (entries.TryGetValue(setting.Name, out var entry) && !YamlNodes.IsNull(entry.Value))
            {
                if (setting.Schema.Convert(entry.Value, path, context) is { } value)
                {
                    result[setting.Name] = value;
                }
            }
            else if (setting.Required && entries.ContainsKey(setting.Name))
            {
                context.Errors.Add(entry.Key, path, $"is empty, but {owner} needs it ({setting.Purpose}); it must be {setting.Schema.Expected}");
            }
            else if (setting.Required)
            {
                context.Errors.Add(map?.Start ?? whereAbsent, path, $"{owner} must include '{setting.Name}' ({setting.Purpose})");
            }
        }

        check?.Invoke(new ObjectCheck(entries, map?.Start ?? whereAbsent, field, context.Errors));
        return context.Errors.Count == before ? result : null;
    }
}

/// <summary>A list whose items all have one schema.</summary>
internal sealed class ListSchema(SettingSchema item, string expected) : SettingSchema
{
    public override string Expected => expected;

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (node is not YamlSequenceNode list)
        {
            return Fail(node, field, context, $"must be {Expected}, not {YamlNodes.Describe(node)}");
        }

        var before = context.Errors.Count;
        var result = new JsonArray();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var child = list.Children[i];
            var path = YamlNodes.Item(field, i);
            if (YamlNodes.IsNull(child))
            {
                context.Errors.Add(child, path, $"is empty; each item must be {item.Expected}");
            }
            else if (item.Convert(child, path, context) is { } value)
            {
                result.Add(value);
            }
        }

        return context.Errors.Count == before ? result : null;
    }
}

/// <summary>Non-blank text; any scalar is taken as its text.</summary>
internal sealed class TextSchema : SettingSchema
{
    public override string Expected => "text";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context) =>
        Text(node, field, context) switch
        {
            null => null,
            var text when string.IsNullOrWhiteSpace(text) => Fail(node, field, context, "must not be blank"),
            var text => JsonValue.Create(text),
        };
}

/// <summary>A whole number within bounds, stored as a JSON number.</summary>
internal sealed class IntSchema(int min, int max) : SettingSchema
{
    public override string Expected => max == int.MaxValue ? $"a whole number of at least {min}" : $"a whole number from {min} to {max}";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } text)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return Fail(node, field, context, $"must be {Expected}, not '{text}'");
        }

        return number < min || number > max
            ? Fail(node, field, context, $"{text} is out of range: it must be {Expected}")
            : JsonValue.Create((int)number);
    }
}

/// <summary>A duration longer than zero, stored as text in TimeSpan's "c" format.</summary>
internal sealed class DurationSchema(TimeSpan? max = null) : SettingSchema
{
    public override string Expected => max is { } most
        ? $"a duration longer than zero and at most {Durations.Normalize(most)}, such as {Durations.Examples}"
        : $"a duration longer than zero, such as {Durations.Examples}";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } text)
        {
            return null;
        }

        if (!Durations.TryParse(text, out var duration, out var error))
        {
            return Fail(node, field, context, error);
        }

        return duration <= TimeSpan.Zero ? Fail(node, field, context, $"'{text}' is zero; it must be {Expected}")
            : duration > max ? Fail(node, field, context, $"'{text}' is too long; it must be {Expected}")
            : JsonValue.Create(Durations.Normalize(duration));
    }
}

/// <summary>A concrete topic to publish on (no wildcards).</summary>
internal sealed class TopicSchema : SettingSchema
{
    public override string Expected => "a topic to publish on, such as tickets.urgent";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } text)
        {
            return null;
        }

        if (text.Contains('*', StringComparison.Ordinal) || text.Contains('#', StringComparison.Ordinal))
        {
            return Fail(node, field, context, $"'{text}' is a pattern, but signals are published on one topic: write it without wildcards ('*', '#')");
        }

        return TopicPattern.IsValidTopic(text, out var error)
            ? JsonValue.Create(text)
            : Fail(node, field, context, $"not a valid topic: {error}");
    }
}

/// <summary>A JSON path into a signal's data (the subset <see cref="JsonPath"/> parses), stored as its text.</summary>
internal sealed class JsonPathSchema : SettingSchema
{
    public override string Expected => "a JSON path such as $.customer.id";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } text)
        {
            return null;
        }

        return JsonPath.TryParse(text, out var path, out var error)
            ? JsonValue.Create(path.Text)
            : Fail(node, field, context, error);
    }
}

/// <summary>The name of an agent type; whether one exists is checked once every agent type is known.</summary>
internal sealed class AgentNameSchema : SettingSchema
{
    public override string Expected => "an agent type name";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } name)
        {
            return null;
        }

        if (!Naming.IsValidAgentTypeName(name, out var error))
        {
            return Fail(node, field, context, error);
        }

        context.References.Add(new AgentReference(name, node.Start, field));
        return JsonValue.Create(name);
    }
}

/// <summary>
/// A value to compare with, typed as YAML reads it: an unquoted true/false becomes a JSON boolean, an
/// unquoted number a JSON number, anything else (including quoted "5") text.
/// </summary>
internal sealed class ComparandSchema : SettingSchema
{
    public override string Expected => "a value to compare with (text, a number, true or false)";

    public override JsonNode? Convert(YamlNode node, string field, SettingsContext context)
    {
        if (Text(node, field, context) is not { } text)
        {
            return null;
        }

        if (((YamlScalarNode)node).Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(text[0] is 't' or 'T');
        }

        return IsYamlNumber(text) && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }

    /// <summary>Whether <paramref name="text"/> is a decimal number in YAML's core schema: [-+] digits [. digits] [e [-+] digits].</summary>
    private static bool IsYamlNumber(string text)
    {
        var i = text.Length > 0 && text[0] is '-' or '+' ? 1 : 0;
        var digits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            digits++;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                digits++;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '-' or '+')
            {
                i++;
            }

            var exponent = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == exponent)
            {
                return false;
            }
        }

        return i == text.Length;
    }
}
