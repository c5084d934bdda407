namespace Agents.Topology;

/*
 * agents.yaml: the agent types a deployment runs and the routes that bring signals to them.
 *
 *   agents:
 *     triage:                              # no role: an agent type implemented in code, by this name
 *       description: Keeps per-customer ticket state
 *     sorter:
 *       role: router                       # a built-in role: llm, router, aggregator or sink
 *       settings:
 *         rules:                           # checked in order; the first match decides the topic
 *           - when: { path: $.priority, equals: high }
 *             publish: tickets.urgent
 *           - when: { path: $.text, contains: refund }
 *             publish: tickets.billing
 *         otherwise: tickets.normal        # optional
 *     summaries:
 *       role: aggregator
 *       settings:
 *         window: { count: 10, time: 30s } # count (>= 1) and/or time (> 0)
 *         emit: tickets.summary            # required
 *     desk:
 *       role: llm
 *       settings:
 *         systemPrompt: You are a support desk assistant.   # required
 *         provider: default                # optional
 *         model: gpt-4o-mini               # optional
 *         tools: [triage, summaries]       # optional: agent types the model may call
 *         maxToolRounds: 4                 # optional, 1..20
 *         answerTimeout: 60s               # optional, up to 110s (an ask waits 2 minutes)
 *     recent:
 *       role: sink
 *       settings:
 *         keep: 100                        # optional, 1..100000 (the role's default is 100)
 *   routes:
 *     - topic: tickets.created             # a topic pattern: '*' is one segment, a final '#' the rest
 *       agent: sorter
 *       key: { fixed: main }               # key rules: subject | { json: $.customer.id } | { fixed: value }
 *     - topic: tickets.*
 *       agent: triage
 *       key: subject
 *
 * YAML note: inside flow collections ([ ] and { }) plain text ends at ',', '[', ']', '{' and '}', so
 * quote JSON paths with brackets there: key: { json: "$.items[0].sku" }.
 *
 * Invariants of a loaded topology (anything else is an error):
 *   - The file is one YAML document whose top level is a mapping with only 'agents' and/or 'routes',
 *     and at least one of them is non-empty. No mapping anywhere repeats a key.
 *   - Agent type names use letters, digits, '-' and '_'. An agent without a role names a code type
 *     (TopologyValidationContext.CodeAgentTypes); an agent with a role has a built-in role and a
 *     name that is not also a code type. An agent type definition has only role, description and
 *     settings, each optional; an empty definition ('triage:') is a code type with nothing else.
 *   - Settings of a built-in role match its schema (RoleSchemas.cs): no unknown keys, required keys
 *     present, numbers whole and in range, durations positive, topics to publish on concrete (no
 *     wildcards), JSON paths in the subset JsonPath parses, llm tools naming agent types that exist.
 *     A setting written as YAML null (nothing after the colon, '~', 'null') counts as absent.
 *   - Settings become a JsonElement object ({} when absent). With a role, the schema types the
 *     scalars: whole numbers become JSON numbers; durations (250ms, 30s, 5m, 1h, 1h30m, PT30S)
 *     become text in TimeSpan's "c" format ("00:00:30"); 'equals' keeps YAML's reading of an
 *     unquoted value (true/false, numbers), so equals: 5 compares with a number and equals: "5"
 *     with text; everything else is text. Settings of a code type (no schema) keep their structure
 *     with every scalar as text and YAML null as JSON null.
 *   - Every route has a valid topic pattern, an agent type defined in the file or in code, and one
 *     key rule. Routes keep file order.
 *   - AgentTopology.Agents lists the file's agent types in file order, then each code type that
 *     routes reach without the file listing it (role null, settings {}, at the first such route).
 *
 * Errors carry file, line and column (1-based, from YamlDotNet's marks) and the field they concern,
 * as a path: agents.desk.settings.systemPrompt, routes[1].key, agents.sorter.settings.rules[0].when.path,
 * or (document) for the file as a whole. Loading never stops at the first error: everything that can
 * be checked is, and TopologyException lists every error in file order. Only a YAML syntax error
 * stops the checking, since nothing after it can be read reliably.
 */

/// <summary>Loads <c>agents.yaml</c> into an <see cref="AgentTopology"/>; see the format and invariants at the top of this file.</summary>
public static class TopologyLoader
{
    /// <summary>
    /// Parses and checks <paramref name="yamlText"/>. Throws <see cref="TopologyException"/> listing every
    /// error found, each located in <paramref name="fileName"/>.
    /// </summary>
    public static AgentTopology Load(string yamlText, string fileName, TopologyValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(context);

        var errors = new ErrorList(fileName);
        var topology = YamlSource.TryRead(yamlText, errors, out var root)
            ? new TopologyReader(context, errors).Read(root)
            : AgentTopology.Empty;
        return errors.Count == 0 ? topology : throw new TopologyException(errors.InFileOrder());
    }

    /// <summary>Reads and loads the file at <paramref name="path"/>; errors name the file by <paramref name="path"/> as given.</summary>
    public static AgentTopology LoadFile(string path, TopologyValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Load(File.ReadAllText(path), path, context);
    }
}
