using Agents.Topology;
using static Agents.Grains.Tests.Topology.TopologyTestSupport;

namespace Agents.Grains.Tests.Topology;

/// <summary>Errors in routes: topic patterns, agent types and key rules, each located by file, line, column and field.</summary>
public class TopologyRouteErrorTests
{
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
    public void A_route_that_feeds_a_router_its_own_output_is_refused_as_a_loop()
    {
        SingleError(
            """
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - when: { path: $.priority, equals: high }
                      publish: tickets.urgent
                  otherwise: sorted.normal
            routes:
              - topic: tickets.*
                agent: sorter
                key: { fixed: main }
            """,
            10, 5, "routes[0].topic", "'tickets.*' sends 'sorter' the topic 'tickets.urgent' it publishes itself (router at", "would come back to it for ever");
    }

    [Fact]
    public void A_route_that_feeds_an_aggregator_its_own_summaries_is_refused_as_a_loop()
    {
        SingleError(
            """
            agents:
              totals:
                role: aggregator
                settings: { window: { count: 10 }, emit: metrics.totals }
            routes:
              - topic: orders.placed
                agent: totals
                key: { fixed: all }
              - topic: metrics.#
                agent: totals
                key: { fixed: all }
            """,
            9, 5, "routes[1].topic", "'metrics.#' sends 'totals' the topic 'metrics.totals' it publishes itself (aggregator at");
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
}
