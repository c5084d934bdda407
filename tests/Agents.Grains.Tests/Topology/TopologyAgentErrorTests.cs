using Agents.Topology;
using static Agents.Grains.Tests.Topology.TopologyTestSupport;

namespace Agents.Grains.Tests.Topology;

/// <summary>Errors in agent type definitions and the settings of built-in roles, each located by file, line, column and field.</summary>
public class TopologyAgentErrorTests
{
    [Fact]
    public void An_unknown_role_lists_the_built_in_roles()
    {
        SingleError(
            """
            agents:
              sorter:
                role: routr
            """,
            3, 11, "agents.sorter.role", "unknown role 'routr'", "built-in roles: llm, router, aggregator, sink", "did you mean 'router'?");
    }

    [Fact]
    public void An_agent_without_a_role_must_be_a_code_type_and_the_error_lists_them()
    {
        SingleError(
            """
            agents:
              triag:
                description: no role, and no code type by this name
            """,
            2, 3, "agents.triag", "'triag' has no role", "implemented in code", "code types: billing, triage", "did you mean 'triage'?", "give it a role (llm, router, aggregator, sink)");
    }

    [Fact]
    public void An_agent_with_a_role_may_not_take_the_name_of_a_code_type()
    {
        SingleError(
            """
            agents:
              triage:
                role: sink
            """,
            2, 3, "agents.triage", "implemented in code", "cannot also have role sink");
    }

    [Fact]
    public void An_unknown_key_in_an_agent_type_definition_lists_the_allowed_ones()
    {
        var errors = Errors(
            """
            agents:
              recent:
                rol: sink
            """);

        // Without its role, 'recent' would have to be a code type: both are said.
        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 2, 3, "agents.recent", "'recent' has no role");
        AssertError(errors[1], 3, 5, "agents.recent.rol", "not allowed in an agent type definition", "allowed: role, description, settings", "did you mean 'role'?");
    }

    [Theory]
    [InlineData("tri age")]
    [InlineData("desk!")]
    [InlineData("zoë")]
    public void Agent_type_names_other_than_letters_digits_dashes_and_underscores_are_refused(string name)
    {
        SingleError(
            $"""
            agents:
              "{name}":
                role: sink
            """,
            2, 3, $"agents.{name}", $"agent type name '{name}' has", "use letters, digits, '-' and '_'");
    }

    [Fact]
    public void An_unknown_setting_of_a_role_lists_the_allowed_ones()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
                settings:
                  keeps: 10
            """,
            5, 7, "agents.recent.settings.keeps", "'keeps' is not allowed in the settings of role sink", "allowed: keep", "did you mean 'keep'?");
    }

    [Fact]
    public void A_missing_required_setting_is_reported_at_the_settings()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
                settings:
                  model: gpt-4o-mini
            """,
            5, 7, "agents.desk.settings.systemPrompt", "the settings of role llm must include 'systemPrompt'");
    }

    [Fact]
    public void A_missing_required_setting_without_settings_is_reported_at_the_agent()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
            """,
            2, 3, "agents.desk.settings.systemPrompt", "must include 'systemPrompt'");
    }

    [Fact]
    public void An_empty_required_setting_is_reported_at_its_key()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt:
            """,
            5, 7, "agents.desk.settings.systemPrompt", "is empty", "it must be text");
    }

    [Fact]
    public void A_setting_of_the_wrong_type_says_what_is_expected()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
                settings:
                  keep: lots
            """,
            5, 13, "agents.recent.settings.keep", "must be a whole number from 1 to 100000, not 'lots'");
    }

    [Fact]
    public void A_list_where_text_belongs_is_the_wrong_type()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: [a, b]
            """,
            5, 21, "agents.desk.settings.systemPrompt", "must be text, not a list");
    }

    [Theory]
    [InlineData("maxToolRounds: 25", 22, "agents.desk.settings.maxToolRounds", "25 is out of range: it must be a whole number from 1 to 20")]
    [InlineData("maxToolRounds: 0", 22, "agents.desk.settings.maxToolRounds", "0 is out of range")]
    [InlineData("maxToolRounds: 99999999999999999999", 22, "agents.desk.settings.maxToolRounds", "must be a whole number from 1 to 20")]
    [InlineData("maxToolRounds: 2.5", 22, "agents.desk.settings.maxToolRounds", "not '2.5'")]
    [InlineData("answerTimeout: 3m", 22, "agents.desk.settings.answerTimeout", "'3m' is too long; it must be a duration longer than zero and at most 00:01:50")]
    [InlineData("answerTimeout: 0s", 22, "agents.desk.settings.answerTimeout", "'0s' is zero")]
    public void An_out_of_range_number_says_the_range(string setting, int column, string field, string phrase)
    {
        SingleError(
            $"""
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: Help.
                  {setting}
            """,
            6, column, field, phrase);
    }

    [Fact]
    public void A_sink_keeps_at_most_100000()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
                settings: { keep: 100001 }
            """,
            4, 23, "agents.recent.settings.keep", "out of range", "from 1 to 100000");
    }

    [Theory]
    [InlineData("30 sec", "is not a duration", "'sec' is not a unit")]
    [InlineData("30", "30 has no unit")]
    [InlineData("P1M", "years and months have no fixed length")]
    [InlineData("-5s", "may not be negative")]
    [InlineData("0s", "is zero", "longer than zero")]
    public void A_bad_duration_says_what_durations_look_like(string duration, params string[] phrases)
    {
        SingleError(
            $"""
            agents:
              summaries:
                role: aggregator
                settings:
                  emit: tickets.summary
                  window:
                    time: {duration}
            """,
            7, 15, "agents.summaries.settings.window.time", phrases);
    }

    [Fact]
    public void A_window_needs_a_count_or_a_time()
    {
        SingleError(
            """
            agents:
              summaries:
                role: aggregator
                settings:
                  window: {}
                  emit: tickets.summary
            """,
            5, 15, "agents.summaries.settings.window", "a window needs 'count'", "'time'");
    }

    [Fact]
    public void A_router_may_only_publish_on_a_concrete_topic()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - when: { path: $.priority, equals: high }
                      publish: tickets.*
            """,
            7, 20, "agents.sorter.settings.rules[0].publish", "'tickets.*' is a pattern", "without wildcards");
    }

    [Fact]
    public void An_aggregator_emits_on_a_valid_topic()
    {
        SingleError(
            """
            agents:
              summaries:
                role: aggregator
                settings:
                  window: { count: 5 }
                  emit: tickets..summary
            """,
            6, 13, "agents.summaries.settings.emit", "not a valid topic", "segment 2 is empty");
    }

    [Fact]
    public void A_router_otherwise_topic_is_checked()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - { when: { path: $.x, contains: y }, publish: a }
                  otherwise: "bad topic"
            """,
            7, 18, "agents.sorter.settings.otherwise", "'bad topic' has ' '");
    }

    [Fact]
    public void A_bad_json_path_in_a_router_condition_is_reported_at_the_path()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - when: { path: priority, equals: high }
                      publish: tickets.urgent
            """,
            6, 25, "agents.sorter.settings.rules[0].when.path", "it must start with '$'");
    }

    [Fact]
    public void A_condition_takes_one_comparison()
    {
        var errors = Errors(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - when: { path: $.a, equals: x, contains: y }
                      publish: a
                    - when: { path: $.a }
                      publish: b
            """);

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 6, 17, "agents.sorter.settings.rules[0].when", "not both");
        AssertError(errors[1], 8, 17, "agents.sorter.settings.rules[1].when", "needs a comparison");
    }

    [Fact]
    public void A_router_rule_needs_publish()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - when: { path: $.a, equals: x }
            """,
            6, 11, "agents.sorter.settings.rules[0].publish", "a router rule must include 'publish'");
    }

    [Fact]
    public void A_router_with_no_rules_and_no_otherwise_routes_nothing()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules: []
            """,
            5, 14, "agents.sorter.settings.rules", "routes nothing");
    }

    [Fact]
    public void Llm_tools_must_name_agent_types_that_exist()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: Help.
                  tools: [triage, summaries]
            """,
            6, 23, "agents.desk.settings.tools[1]", "no agent type 'summaries' is defined to use as a tool", "known: billing, desk, triage");
    }

    [Fact]
    public void Llm_tools_defined_later_in_the_file_are_found()
    {
        var topology = Load(
            """
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: Help.
                  tools: [summaries]
              summaries:
                role: aggregator
                settings: { window: { count: 3 }, emit: s }
            """);

        Assert.Equal(2, topology.Agents.Count);
    }

    [Fact]
    public void Settings_of_a_code_type_must_be_a_mapping()
    {
        SingleError(
            """
            agents:
              triage:
                settings: [a, b]
            """,
            3, 15, "agents.triage.settings", "must be a mapping");
    }

    [Fact]
    public void An_empty_role_is_an_error_not_a_code_type()
    {
        SingleError(
            """
            agents:
              recent:
                role:
            """,
            3, 5, "agents.recent.role", "is empty", "leave 'role' out");
    }
}
