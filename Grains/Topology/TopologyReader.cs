using Agents.Signals;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/// <summary>
/// Turns the YAML tree of one <c>agents.yaml</c> into an <see cref="AgentTopology"/>, reporting every
/// problem to an <see cref="ErrorList"/> and carrying on; see the format at the top of TopologyLoader.cs.
/// </summary>
internal sealed class TopologyReader
{
    private const string AgentsKey = "agents";
    private const string RoutesKey = "routes";
    private static readonly string[] TopLevelKeys = [AgentsKey, RoutesKey];
    private static readonly string[] AgentKeys = ["role", "description", "settings"];
    private static readonly string[] RouteKeys = ["topic", "agent", "key"];
    private static readonly string[] KeyRuleKeys = ["json", "fixed"];
    private const string KeyRuleForms = "subject, { json: $.customer.id } or { fixed: main }";

    private readonly ErrorList _errors;
    private readonly HashSet<string> _codeTypes;
    private readonly HashSet<string> _fileTypes = new(StringComparer.Ordinal); // every name the file defines, valid or not
    private readonly SettingsContext _settings;

    public TopologyReader(TopologyValidationContext context, ErrorList errors)
    {
        _errors = errors;
        _codeTypes = new HashSet<string>(context.CodeAgentTypes, StringComparer.Ordinal);
        _settings = new SettingsContext(errors);
    }

    /// <summary>The topology in <paramref name="root"/> (null for a file without a document); check the error list before using it.</summary>
    public AgentTopology Read(YamlNode? root)
    {
        if (YamlNodes.IsNull(root))
        {
            _errors.Add(root?.Start ?? new Mark(0, 1, 1), ErrorList.Document, "the file is empty; define agent types under 'agents:' and the routes that feed them under 'routes:'");
            return AgentTopology.Empty;
        }

        if (root is not YamlMappingNode map)
        {
            _errors.Add(root!, ErrorList.Document, $"the top level must be a mapping with 'agents:' and/or 'routes:', not {YamlNodes.Describe(root!)}");
            return AgentTopology.Empty;
        }

        var sections = YamlNodes.ReadMapping(map, "", TopLevelKeys, "at the top level", _errors);
        var agentsNode = sections.TryGetValue(AgentsKey, out var agentsEntry) ? agentsEntry.Value : null;
        var routesNode = sections.TryGetValue(RoutesKey, out var routesEntry) ? routesEntry.Value : null;
        // Unless a misspelt section explains it ('agent:'), which is reported already.
        if (IsEmptySection(agentsNode) && IsEmptySection(routesNode) && sections.Count == map.Children.Count)
        {
            _errors.Add(map, ErrorList.Document, "the file defines neither agents nor routes; add agent types under 'agents:' and/or routes under 'routes:'");
        }

        var agents = ReadAgents(agentsNode);
        var routes = ReadRoutes(routesNode, agents);
        CheckReferences();

        // Code types that routes reach but the file does not list join the topology, in route order.
        foreach (var route in routes)
        {
            if (!agents.Exists(a => string.Equals(a.Name, route.AgentType, StringComparison.Ordinal)))
            {
                agents.Add(new AgentTypeDefinition(route.AgentType, null, YamlSettingsConverter.EmptyObject, null, route.Location));
            }
        }

        return new AgentTopology(agents, routes);
    }

    private static bool IsEmptySection(YamlNode? node) =>
        YamlNodes.IsNull(node) || node is YamlMappingNode { Children.Count: 0 } or YamlSequenceNode { Children.Count: 0 };

    private List<AgentTypeDefinition> ReadAgents(YamlNode? node)
    {
        var agents = new List<AgentTypeDefinition>();
        if (YamlNodes.IsNull(node))
        {
            return agents;
        }

        if (node is not YamlMappingNode map)
        {
            _errors.Add(node!, AgentsKey, $"must be a mapping from agent type names to their definitions, not {YamlNodes.Describe(node!)}");
            return agents;
        }

        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name } nameNode || YamlNodes.IsNull(key))
            {
                _errors.Add(key, AgentsKey, $"agent type names must be plain names, not {YamlNodes.Describe(key)}");
                continue;
            }

            _fileTypes.Add(name);
            if (ReadAgent(name, nameNode, value) is { } agent)
            {
                agents.Add(agent);
            }
        }

        return agents;
    }

    private AgentTypeDefinition? ReadAgent(string name, YamlScalarNode nameNode, YamlNode value)
    {
        var field = YamlNodes.Child(AgentsKey, name);
        if (!Naming.IsValidAgentTypeName(name, out var nameError))
        {
            _errors.Add(nameNode, field, nameError);
        }

        var entries = new Dictionary<string, YamlEntry>(StringComparer.Ordinal);
        if (value is YamlMappingNode definition)
        {
            entries = YamlNodes.ReadMapping(definition, field, AgentKeys, "in an agent type definition", _errors);
        }
        else if (!YamlNodes.IsNull(value))
        {
            _errors.Add(value, field, $"must be a mapping with 'role', 'description' and 'settings' (all optional; leave it empty for an agent type implemented in code), not {YamlNodes.Describe(value)}");
            return null;
        }

        string? description = null;
        if (entries.TryGetValue("description", out var descriptionEntry) && !YamlNodes.IsNull(descriptionEntry.Value))
        {
            description = YamlNodes.Text(descriptionEntry.Value, YamlNodes.Child(field, "description"), "text", _errors);
        }

        var role = ReadRole(name, nameNode, field, entries, out var roleKnown);
        var hasSettings = entries.TryGetValue("settings", out var settingsEntry);
        var settingsNode = hasSettings && !YamlNodes.IsNull(settingsEntry.Value) ? settingsEntry.Value : null;
        var settingsField = YamlNodes.Child(field, "settings");
        var settings = YamlSettingsConverter.EmptyObject;
        if (role is not null && RoleSchemas.For(role) is { } schema)
        {
            if (settingsNode is null or YamlMappingNode)
            {
                var whereAbsent = hasSettings ? settingsEntry.Key.Start : nameNode.Start;
                if (schema.ConvertMapping((YamlMappingNode?)settingsNode, whereAbsent, settingsField, _settings) is { } json)
                {
                    settings = YamlSettingsConverter.ToElement(json);
                }
            }
            else
            {
                _errors.Add(settingsNode, settingsField, $"must be {schema.Expected}, not {YamlNodes.Describe(settingsNode)}");
            }
        }
        else if (roleKnown && settingsNode is not null && YamlSettingsConverter.ConvertUntyped(settingsNode, settingsField, _errors) is { } json)
        {
            settings = YamlSettingsConverter.ToElement(json);
        }

        return new AgentTypeDefinition(name, role, settings, description, _errors.At(nameNode.Start));
    }

    /// <summary>The agent's role (null for a code-defined agent); <paramref name="known"/> is false when it could not be determined.</summary>
    private string? ReadRole(string name, YamlScalarNode nameNode, string field, Dictionary<string, YamlEntry> entries, out bool known)
    {
        known = false;
        var roleList = Naming.List(BuiltInRoles.Names);
        if (!entries.TryGetValue("role", out var roleEntry))
        {
            if (_codeTypes.Contains(name))
            {
                known = true;
            }
            else
            {
                var codeTypes = Naming.List(_codeTypes.Order(StringComparer.Ordinal));
                _errors.Add(nameNode, field, $"'{name}' has no role, so it must be an agent type implemented in code, and there is none by that name (code types: {codeTypes}){Naming.DidYouMean(name, _codeTypes)}; to use a built-in one, give it a role ({roleList})");
            }

            return null;
        }

        var roleField = YamlNodes.Child(field, "role");
        if (YamlNodes.IsNull(roleEntry.Value))
        {
            _errors.Add(roleEntry.Key, roleField, $"is empty; give one of the built-in roles ({roleList}), or leave 'role' out for an agent type implemented in code");
            return null;
        }

        if (YamlNodes.Text(roleEntry.Value, roleField, $"one of the built-in roles ({roleList})", _errors) is not { } role)
        {
            return null;
        }

        if (!BuiltInRoles.IsBuiltIn(role))
        {
            _errors.Add(roleEntry.Value, roleField, $"unknown role '{role}' (built-in roles: {roleList}){Naming.DidYouMean(role, BuiltInRoles.Names)}");
            return null;
        }

        if (_codeTypes.Contains(name))
        {
            _errors.Add(nameNode, field, $"'{name}' is an agent type implemented in code, so it cannot also have role {role}; give the {role} agent a name of its own, or remove 'role' to use the code");
        }

        known = true;
        return role;
    }

    private List<RouteDefinition> ReadRoutes(YamlNode? node, List<AgentTypeDefinition> agents)
    {
        var routes = new List<RouteDefinition>();
        if (YamlNodes.IsNull(node))
        {
            return routes;
        }

        if (node is not YamlSequenceNode list)
        {
            _errors.Add(node!, RoutesKey, $"must be a list of routes, each '- topic: ..., agent: ..., key: ...', not {YamlNodes.Describe(node!)}");
            return routes;
        }

        for (var i = 0; i < list.Children.Count; i++)
        {
            if (ReadRoute(list.Children[i], YamlNodes.Item(RoutesKey, i)) is { } route)
            {
                routes.Add(route);
                CheckLoop(route, YamlNodes.Child(YamlNodes.Item(RoutesKey, i), "topic"), agents);
            }
        }

        return routes;
    }

    /// <summary>
    /// Refuses a route that feeds a router or aggregator the topics it publishes itself: each signal
    /// (or summary) it produced would come back to it, for ever.
    /// </summary>
    private void CheckLoop(RouteDefinition route, string field, List<AgentTypeDefinition> agents)
    {
        var agent = agents.Find(a => string.Equals(a.Name, route.AgentType, StringComparison.Ordinal));
        if (agent?.Role is not { } role)
        {
            return;
        }

        foreach (var published in Publishes(role, agent.Settings))
        {
            if (route.Topic.Matches(published))
            {
                _errors.Add(route.Location, field,
                    $"'{route.Topic}' sends '{route.AgentType}' the topic '{published}' it publishes itself ({role} at {agent.Location}), so what it publishes would come back to it for ever; narrow the pattern or publish on a topic the pattern does not match");
                return;
            }
        }
    }

    /// <summary>The topics a built-in role publishes, by its settings (those that are valid topics).</summary>
    private static IEnumerable<string> Publishes(string role, System.Text.Json.JsonElement settings)
    {
        if (settings.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            yield break;
        }

        var names = role switch
        {
            BuiltInRoles.Router => ["otherwise"],
            BuiltInRoles.Aggregator => ["emit"],
            _ => Array.Empty<string>(),
        };
        foreach (var name in names)
        {
            if (settings.TryGetProperty(name, out var topic) && topic.ValueKind == System.Text.Json.JsonValueKind.String && TopicPattern.IsValidTopic(topic.GetString(), out _))
            {
                yield return topic.GetString()!;
            }
        }

        if (role == BuiltInRoles.Router && settings.TryGetProperty("rules", out var rules) && rules.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            foreach (var rule in rules.EnumerateArray())
            {
                if (rule.ValueKind == System.Text.Json.JsonValueKind.Object && rule.TryGetProperty("publish", out var topic)
                    && topic.ValueKind == System.Text.Json.JsonValueKind.String && TopicPattern.IsValidTopic(topic.GetString(), out _))
                {
                    yield return topic.GetString()!;
                }
            }
        }
    }

    private RouteDefinition? ReadRoute(YamlNode node, string field)
    {
        if (node is not YamlMappingNode map)
        {
            _errors.Add(node, field, $"a route must be a mapping with 'topic', 'agent' and 'key', not {YamlNodes.Describe(node)}");
            return null;
        }

        var entries = YamlNodes.ReadMapping(map, field, RouteKeys, "in a route", _errors);
        var topic = Required(map, entries, field, "topic", "the topic pattern whose signals it routes, e.g. tickets.*") is { } topicNode
            ? ReadTopicPattern(topicNode, YamlNodes.Child(field, "topic"))
            : null;
        var agent = Required(map, entries, field, "agent", "the agent type that receives the signals") is { } agentNode
            ? ReadTarget(agentNode, YamlNodes.Child(field, "agent"))
            : null;
        var key = Required(map, entries, field, "key", $"how to choose the agent that receives a signal: {KeyRuleForms}") is { } keyNode
            ? ReadKeyRule(keyNode, YamlNodes.Child(field, "key"))
            : null;
        return topic is not null && agent is not null && key is not null
            ? new RouteDefinition(topic, agent, key, _errors.At(map.Start))
            : null;
    }

    /// <summary>The value of a required route key, or null after reporting it missing or empty.</summary>
    private YamlNode? Required(YamlMappingNode map, Dictionary<string, YamlEntry> entries, string field, string name, string purpose)
    {
        if (!entries.TryGetValue(name, out var entry))
        {
            _errors.Add(map, YamlNodes.Child(field, name), $"a route needs '{name}': {purpose}");
            return null;
        }

        if (YamlNodes.IsNull(entry.Value))
        {
            _errors.Add(entry.Key, YamlNodes.Child(field, name), $"is empty; a route needs {purpose}");
            return null;
        }

        return entry.Value;
    }

    private TopicPattern? ReadTopicPattern(YamlNode node, string field)
    {
        if (YamlNodes.Text(node, field, "a topic pattern such as tickets.*", _errors) is not { } text)
        {
            return null;
        }

        if (TopicPattern.TryParse(text, out var pattern, out var error))
        {
            return pattern;
        }

        _errors.Add(node, field, $"not a valid topic pattern: {error}");
        return null;
    }

    private string? ReadTarget(YamlNode node, string field)
    {
        if (YamlNodes.Text(node, field, "an agent type name", _errors) is not { } name)
        {
            return null;
        }

        if (!Naming.IsValidAgentTypeName(name, out var error))
        {
            _errors.Add(node, field, error);
            return null;
        }

        if (!Exists(name))
        {
            _errors.Add(node, field, UnknownAgentType(name, "is defined"));
            return null;
        }

        return name;
    }

    private KeyRule? ReadKeyRule(YamlNode node, string field)
    {
        switch (node)
        {
            case YamlScalarNode { Value: "subject" }:
                return KeyRule.Subject;

            case YamlScalarNode { Value: { } text }:
                var hint = text.StartsWith('$') ? $"; to key by a JSON path write {{ json: {text} }}" : "";
                _errors.Add(node, field, $"unknown key rule '{text}'; use {KeyRuleForms}{hint}");
                return null;

            case YamlMappingNode map:
                var entries = YamlNodes.ReadMapping(map, field, KeyRuleKeys, "in a key rule", _errors);
                if (entries.Count > 1 || map.Children.Count == 0)
                {
                    _errors.Add(map, field, $"a key rule has exactly one of 'json' or 'fixed': {KeyRuleForms}");
                    return null;
                }

                if (entries.TryGetValue("json", out var json))
                {
                    return ReadJsonKey(json.Value, YamlNodes.Child(field, "json"));
                }

                if (entries.TryGetValue("fixed", out var fixedKey))
                {
                    var fixedField = YamlNodes.Child(field, "fixed");
                    return YamlNodes.Text(fixedKey.Value, fixedField, "the key every signal goes to, e.g. main", _errors) switch
                    {
                        null => null,
                        var value when string.IsNullOrWhiteSpace(value) => Fail(fixedKey.Value, fixedField, "must not be blank"),
                        var value => new KeyRule.FixedKey(value),
                    };
                }

                return null; // only unknown keys, already reported

            default:
                _errors.Add(node, field, $"must be a key rule ({KeyRuleForms}), not {YamlNodes.Describe(node)}");
                return null;
        }
    }

    private KeyRule? ReadJsonKey(YamlNode node, string field)
    {
        if (YamlNodes.Text(node, field, "a JSON path such as $.customer.id", _errors) is not { } text)
        {
            return null;
        }

        return JsonPath.TryParse(text, out var path, out var error) ? new KeyRule.JsonPathKey(path) : Fail(node, field, error);
    }

    private KeyRule? Fail(YamlNode node, string field, string message)
    {
        _errors.Add(node, field, message);
        return null;
    }

    /// <summary>Checks the agent types that settings name (an llm's tools) now that every agent type is known.</summary>
    private void CheckReferences()
    {
        foreach (var reference in _settings.References)
        {
            if (!Exists(reference.Name))
            {
                _errors.Add(reference.At, reference.Field, UnknownAgentType(reference.Name, "is defined to use as a tool"));
            }
        }
    }

    private bool Exists(string name) => _fileTypes.Contains(name) || _codeTypes.Contains(name);

    private string UnknownAgentType(string name, string verb)
    {
        var known = _fileTypes.Union(_codeTypes).Order(StringComparer.Ordinal).ToList();
        return $"no agent type '{name}' {verb} (known: {Naming.List(known)}){Naming.DidYouMean(name, known)}";
    }
}
