using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/*
 * The settings each built-in role accepts (see the file format in TopologyLoader.cs):
 *   llm         systemPrompt (required text), provider, model (text), tools (list of agent type
 *               names), maxToolRounds (1..20), answerTimeout (a duration up to 110s)
 *   router      rules (required list of { when: { path, equals | contains }, publish }), otherwise
 *   aggregator  window (required, { count >= 1 and/or time > 0 }), emit (required topic)
 *   sink        keep (1..100000; the role's default is 100)
 * Unknown keys are errors everywhere, so a misspelt optional setting cannot silently fall back to
 * its default. Defaults are not written into the settings: roles apply them.
 */

/// <summary>The settings schema of each built-in role; see the table at the top of this file.</summary>
internal static class RoleSchemas
{
    // Declared innermost first: static fields initialise in textual order.
    private static readonly ObjectSchema Condition = new(
        "a condition",
        [
            new("path", new JsonPathSchema(), Required: true, "where in the signal's data to look"),
            new("equals", new ComparandSchema(), Required: false, "the value the data must equal"),
            new("contains", new TextSchema(), Required: false, "text the data must contain"),
        ],
        OneComparison);

    private static readonly ObjectSchema Rule = new(
        "a router rule",
        [
            new("when", Condition, Required: true, "the condition a signal must meet, e.g. { path: $.priority, equals: high }"),
            new("publish", new TopicSchema(), Required: true, "the topic a matching signal is published on"),
        ]);

    private static readonly ObjectSchema Router = new(
        "the settings of role router",
        [
            new("rules", new ListSchema(Rule, "a list of rules, each { when: ..., publish: topic }"), Required: true, "checked in order; the first match decides the topic"),
            new("otherwise", new TopicSchema(), Required: false, "the topic for signals no rule matches"),
        ],
        RulesOrOtherwise);

    private static readonly ObjectSchema Window = new(
        "a window",
        [
            new("count", new IntSchema(1, int.MaxValue), Required: false, "how many signals make a window"),
            new("time", new DurationSchema(), Required: false, "how long a window lasts"),
        ],
        CountOrTime);

    private static readonly ObjectSchema Aggregator = new(
        "the settings of role aggregator",
        [
            new("window", Window, Required: true, "when to summarise: { count: 10 } and/or { time: 30s }"),
            new("emit", new TopicSchema(), Required: true, "the topic summaries are published on"),
        ]);

    private static readonly ObjectSchema Llm = new(
        "the settings of role llm",
        [
            new("systemPrompt", new TextSchema(), Required: true, "the instructions the model starts from"),
            new("provider", new TextSchema(), Required: false, "the configured LLM provider to use"),
            new("model", new TextSchema(), Required: false, "the model to ask"),
            new("tools", new ListSchema(new AgentNameSchema(), "a list of agent type names, e.g. [triage, summaries]"), Required: false, "agent types the model may call"),
            new("maxToolRounds", new IntSchema(1, 20), Required: false, "how many rounds of tool calls one request may take"),
            new("answerTimeout", new DurationSchema(Roles.LlmAgent.AnswerBudget), Required: false, "the most one question may take, model, retries and tools together; 110s when absent"),
        ]);

    private static readonly ObjectSchema Sink = new(
        "the settings of role sink",
        [
            new("keep", new IntSchema(1, 100_000), Required: false, "how many recent signals to keep; 100 when absent"),
        ]);

    /// <summary>The settings schema of built-in role <paramref name="role"/>, or null when there is no such role.</summary>
    public static ObjectSchema? For(string role) => role switch
    {
        BuiltInRoles.Llm => Llm,
        BuiltInRoles.Router => Router,
        BuiltInRoles.Aggregator => Aggregator,
        BuiltInRoles.Sink => Sink,
        _ => null,
    };

    private static void OneComparison(ObjectCheck check)
    {
        var (equals, contains) = (check.Has("equals"), check.Has("contains"));
        if (equals && contains)
        {
            check.Errors.Add(check.At, check.Field, "a condition takes one comparison, 'equals' or 'contains', not both; split it into two rules");
        }
        else if (!equals && !contains)
        {
            check.Errors.Add(check.At, check.Field, "a condition needs a comparison: 'equals: value' or 'contains: text'");
        }
    }

    private static void RulesOrOtherwise(ObjectCheck check)
    {
        if (check.Entries.TryGetValue("rules", out var rules) && rules.Value is YamlSequenceNode { Children.Count: 0 } && !check.Has("otherwise"))
        {
            check.Errors.Add(rules.Value, YamlNodes.Child(check.Field, "rules"), "a router with no rules and no 'otherwise' topic routes nothing; add a rule or an 'otherwise' topic");
        }
    }

    private static void CountOrTime(ObjectCheck check)
    {
        if (!check.Has("count") && !check.Has("time"))
        {
            check.Errors.Add(check.At, check.Field, "a window needs 'count' (signals per window), 'time' (e.g. 30s), or both");
        }
    }
}
