using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/// <summary>
/// Settings as the JSON an agent reads. Built-in roles convert through their schema (<see cref="RoleSchemas"/>),
/// which types each scalar; the settings of a code-defined agent have no schema, so they convert
/// structurally: mappings to objects, lists to arrays, YAML null to JSON null, every other scalar to text.
/// </summary>
internal static class YamlSettingsConverter
{
    /// <summary>
    /// The most values one agent's settings may expand to. YAML aliases let a few lines stand for an
    /// exponential number of values ("billion laughs"); the conversion stops there with an error
    /// instead of exhausting the silo's memory at start-up.
    /// </summary>
    public const int MaxSettingValues = 100_000;

    /// <summary>The settings of an agent that has none: <c>{}</c>.</summary>
    public static JsonElement EmptyObject { get; } = ToElement(new JsonObject());

    /// <summary>A detached <see cref="JsonElement"/> holding <paramref name="node"/>.</summary>
    public static JsonElement ToElement(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>Converts the settings of a code-defined agent, which must be a mapping; null after reporting errors.</summary>
    public static JsonObject? ConvertUntyped(YamlNode settings, string field, ErrorList errors)
    {
        if (settings is not YamlMappingNode)
        {
            errors.Add(settings, field, $"must be a mapping of setting names to values, not {YamlNodes.Describe(settings)}");
            return null;
        }

        var before = errors.Count;
        var budget = MaxSettingValues;
        var result = Untyped(settings, field, errors, ref budget);
        if (budget < 0)
        {
            errors.Add(settings, field, $"expands to more than {MaxSettingValues:N0} values (through YAML aliases?); settings that large are refused");
        }

        return errors.Count == before ? (JsonObject?)result : null;
    }

    private static JsonNode? Untyped(YamlNode node, string field, ErrorList errors, ref int budget)
    {
        if (--budget < 0)
        {
            return null;
        }

        switch (node)
        {
            case YamlMappingNode map:
                var result = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    if (key is YamlScalarNode { Value: { } name } && !YamlNodes.IsNull(key))
                    {
                        result[name] = Untyped(value, YamlNodes.Child(field, name), errors, ref budget);
                        if (budget < 0)
                        {
                            return null;
                        }
                    }
                    else
                    {
                        errors.Add(key, field, $"keys in settings must be names, not {YamlNodes.Describe(key)}");
                    }
                }

                return result;

            case YamlSequenceNode list:
                var array = new JsonArray();
                for (var i = 0; i < list.Children.Count; i++)
                {
                    array.Add(Untyped(list.Children[i], YamlNodes.Item(field, i), errors, ref budget));
                    if (budget < 0)
                    {
                        return null;
                    }
                }

                return array;

            case YamlScalarNode scalar when !YamlNodes.IsNull(scalar):
                return JsonValue.Create(scalar.Value);

            default:
                return null;
        }
    }
}
