using Agents.Topology;
using static Agents.Grains.Tests.Topology.TopologyTestSupport;

namespace Agents.Grains.Tests.Topology;

/// <summary>Every error names the file, line, column and field, and says what would be right: errors of the file as a whole (YAML syntax, top level, duplicates, order).</summary>
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
}
