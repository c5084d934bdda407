using Agents.Topology;
using static Agents.Grains.Tests.Topology.TopologyTestSupport;

namespace Agents.Grains.Tests.Topology;

/// <summary>Every error names the file, line, column and field, and says what would be right.</summary>
public class TopologyErrorTests
{
    [Fact]
    public void A_yaml_syntax_error_is_reported_at_the_parsers_mark()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
               description: misaligned
            """,
            4, 4, "(document)", "YAML syntax error", "did not find expected key");
    }

    [Fact]
    public void An_unclosed_flow_collection_is_reported_where_it_opens()
    {
        SingleError(
            """
            agents:
              desk:
                role: llm
                settings:
                  tools: [triage, billing
                  systemPrompt: Help.
            """,
            5, 14, "(document)", "YAML syntax error", "'[' here is never closed");
    }

    [Fact]
    public void A_bracket_in_unquoted_flow_text_gets_a_hint_to_quote_it()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: { json: $.items[0] }
            """,
            4, 25, "(document)", "YAML syntax error", "quote text holding", "{ json: \"$.items[0]\" }");
    }

    [Fact]
    public void An_unknown_top_level_key_lists_the_allowed_ones()
    {
        SingleError(
            """
            agent:
              recent:
                role: sink
            routes: []
            """,
            1, 1, "agent", "'agent' is not allowed at the top level", "allowed: agents, routes", "did you mean 'agents'?");
    }

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
    public void A_bad_topic_pattern_in_a_route_is_reported_with_the_reason()
    {
        SingleError(
            """
            routes:
              - topic: tickets.#.created
                agent: triage
                key: subject
            """,
            2, 12, "routes[0].topic", "not a valid topic pattern", "'#' may only be the last segment");
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
    public void A_route_without_a_key_rule_says_which_rules_there_are()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
            """,
            2, 5, "routes[0].key", "a route needs 'key'", "subject, { json: $.customer.id } or { fixed: main }");
    }

    [Fact]
    public void An_unknown_key_rule_says_which_rules_there_are()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: customer
            """,
            4, 10, "routes[0].key", "unknown key rule 'customer'", "use subject, { json: $.customer.id } or { fixed: main }");
    }

    [Fact]
    public void A_json_path_written_as_the_key_rule_gets_a_hint()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: $.customer.id
            """,
            4, 10, "routes[0].key", "unknown key rule", "write { json: $.customer.id }");
    }

    [Fact]
    public void An_unknown_key_rule_in_a_mapping_lists_the_allowed_ones()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: { jsonpath: $.customer.id }
            """,
            4, 12, "routes[0].key.jsonpath", "not allowed in a key rule", "allowed: json, fixed", "did you mean 'json'?");
    }

    [Fact]
    public void A_key_rule_takes_one_of_json_and_fixed()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: { json: $.id, fixed: main }
            """,
            4, 10, "routes[0].key", "exactly one of 'json' or 'fixed'");
    }

    [Fact]
    public void A_bad_json_path_in_a_key_rule_is_reported_at_the_path()
    {
        SingleError(
            """
            routes:
              - topic: tickets.*
                agent: triage
                key: { json: "$.items[first]" }
            """,
            4, 18, "routes[0].key.json", "[first] at position 8 is neither an index nor a quoted name");
    }

    [Fact]
    public void A_route_to_an_undefined_agent_type_lists_the_known_ones()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
            routes:
              - topic: tickets.*
                agent: triag
                key: subject
            """,
            6, 12, "routes[0].agent", "no agent type 'triag' is defined", "(known: billing, recent, triage)", "did you mean 'triage'?");
    }

    [Fact]
    public void A_route_missing_topic_and_agent_reports_both()
    {
        var errors = Errors(
            """
            routes:
              - key: subject
                agnt: triage
            """);

        Assert.Equal(3, errors.Count);
        AssertError(errors[0], 2, 5, "routes[0].topic", "a route needs 'topic'");
        AssertError(errors[1], 2, 5, "routes[0].agent", "a route needs 'agent'");
        AssertError(errors[2], 3, 5, "routes[0].agnt", "not allowed in a route", "did you mean 'agent'?");
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
    public void Duplicate_agent_type_names_are_reported_with_both_lines()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
              desk:
                role: llm
                settings: { systemPrompt: Help. }
              recent:
                role: sink
            """,
            7, 3, "agents.recent", "'recent' appears twice", "at line 2, column 3 and at line 7, column 3");
    }

    [Fact]
    public void Duplicate_keys_anywhere_are_reported_and_the_rest_is_still_checked()
    {
        var errors = Errors(
            """
            agents:
              recent:
                role: sink
                settings:
                  keep: 5
                  keep: 6
            routes:
              - topic: tickets.*
                agent: nobody
                key: subject
            """);

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 6, 7, "agents.recent.settings.keep", "'keep' appears twice", "line 5, column 7 and at line 6, column 7");
        AssertError(errors[1], 9, 12, "routes[0].agent", "no agent type 'nobody'");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing here yet\n")]
    [InlineData("---\n")]
    public void An_empty_file_is_an_error(string yaml)
    {
        var error = Assert.Single(Errors(yaml));
        Assert.Equal(FileName, error.Location.File);
        Assert.Equal("(document)", error.Field);
        Assert.Contains("the file is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_reported_at_its_start()
    {
        SingleError("", 1, 1, "(document)", "the file is empty", "'agents:'", "'routes:'");
    }

    [Theory]
    [InlineData("agents:\nroutes:\n")]
    [InlineData("agents: {}\nroutes: []\n")]
    public void A_file_with_neither_agents_nor_routes_is_an_error(string yaml)
    {
        SingleError(yaml, 1, 1, "(document)", "defines neither agents nor routes");
    }

    [Fact]
    public void A_top_level_that_is_not_a_mapping_is_an_error()
    {
        SingleError("- agents\n- routes\n", 1, 1, "(document)", "the top level must be a mapping", "not a list");
    }

    [Fact]
    public void A_second_yaml_document_is_an_error()
    {
        SingleError(
            """
            agents:
              recent:
                role: sink
            ---
            routes: []
            """,
            4, 1, "(document)", "more than one YAML document");
    }

    [Fact]
    public void An_alias_to_an_undefined_anchor_is_an_error()
    {
        SingleError(
            """
            agents:
              recent:
                role: *role
            """,
            3, 11, "agents.recent.role", "alias '*role' names no anchor defined before it");
    }

    [Fact]
    public void Every_error_is_reported_in_file_order_one_line_each_in_the_message()
    {
        var exception = Assert.Throws<TopologyException>(() => Load(
            """
            agents:
              sorter:
                role: routr
              recent:
                role: sink
                settings:
                  keep: lots
            routes:
              - topic: tickets.*
                agent: triag
                key: subject
            """));

        Assert.Equal(
            [
                "agents.yaml:3:11: agents.sorter.role: unknown role 'routr' (built-in roles: llm, router, aggregator, sink); did you mean 'router'?",
                "agents.yaml:7:13: agents.recent.settings.keep: must be a whole number from 1 to 100000, not 'lots'",
                "agents.yaml:10:12: routes[0].agent: no agent type 'triag' is defined (known: billing, recent, sorter, triage); did you mean 'triage'?",
            ],
            exception.Message.Split(Environment.NewLine));
        Assert.Equal(exception.Message.Split(Environment.NewLine), exception.Errors.Select(e => e.ToString()));
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
