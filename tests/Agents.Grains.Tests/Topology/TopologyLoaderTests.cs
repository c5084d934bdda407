using System.Text.Json;
using Agents.Signals;
using Agents.Topology;
using static Agents.Grains.Tests.Topology.TopologyTestSupport;

namespace Agents.Grains.Tests.Topology;

public class TopologyLoaderTests
{
    private const string FullExample = """
        # agents.yaml
        agents:
          triage:
            description: Keeps per-customer ticket state
          sorter:
            role: router
            settings:
              rules:
                - when: { path: $.priority, equals: high }
                  publish: tickets.urgent
                - when: { path: $.text, contains: refund }
                  publish: tickets.billing
              otherwise: tickets.normal
          summaries:
            role: aggregator
            settings:
              window: { count: 10, time: 30s }
              emit: tickets.summary
          desk:
            role: llm
            settings:
              systemPrompt: You are a support desk assistant.
              provider: default
              model: gpt-4o-mini
              tools: [triage, summaries]
              maxToolRounds: 4
          recent:
            role: sink
            settings:
              keep: 100
        routes:
          - topic: tickets.created
            agent: sorter
            key: { fixed: main }
          - topic: tickets.*
            agent: triage
            key: subject
          - topic: billing.#
            agent: billing
            key: { json: $.customer.id }
        """;

    [Fact]
    public void The_full_example_loads_every_agent_type_in_file_order_then_code_types_that_routes_reach()
    {
        var topology = Load(FullExample);

        Assert.Equal(["triage", "sorter", "summaries", "desk", "recent", "billing"], topology.Agents.Select(a => a.Name));
        Assert.Equal([null, "router", "aggregator", "llm", "sink", null], topology.Agents.Select(a => a.Role));
        Assert.Equal("Keeps per-customer ticket state", topology.FindAgent("triage")!.Description);
        Assert.Equal(new SourceLocation(FileName, 3, 3), topology.FindAgent("triage")!.Location);
        Assert.Equal(new SourceLocation(FileName, 19, 3), topology.FindAgent("desk")!.Location);

        // billing is a code type the file does not list: it joins at the route that reaches it.
        var billing = topology.FindAgent("billing")!;
        Assert.Null(billing.Role);
        Assert.Null(billing.Description);
        Assert.Equal("{}", billing.Settings.GetRawText());
        Assert.Equal(new SourceLocation(FileName, 38, 5), billing.Location);
    }

    [Fact]
    public void The_full_example_keeps_routes_in_file_order_with_key_rules_of_the_right_kinds()
    {
        var routes = Load(FullExample).Routes;

        Assert.Equal(3, routes.Count);
        Assert.Equal(TopicPattern.Parse("tickets.created"), routes[0].Topic);
        Assert.Equal("sorter", routes[0].AgentType);
        Assert.Equal(new KeyRule.FixedKey("main"), routes[0].Key);
        Assert.Equal(new SourceLocation(FileName, 32, 5), routes[0].Location);

        Assert.Equal("tickets.*", routes[1].Topic.Text);
        Assert.Equal("triage", routes[1].AgentType);
        Assert.Same(KeyRule.Subject, routes[1].Key);

        Assert.Equal("billing.#", routes[2].Topic.Text);
        var json = Assert.IsType<KeyRule.JsonPathKey>(routes[2].Key);
        Assert.Equal("$.customer.id", json.Path.Text);
    }

    [Fact]
    public void Router_settings_become_json_with_comparands_typed_as_yaml_reads_them()
    {
        var settings = Load(FullExample).FindAgent("sorter")!.Settings;

        var rules = settings.GetProperty("rules");
        Assert.Equal(2, rules.GetArrayLength());
        Assert.Equal("$.priority", rules[0].GetProperty("when").GetProperty("path").GetString());
        Assert.Equal("high", rules[0].GetProperty("when").GetProperty("equals").GetString());
        Assert.Equal("tickets.urgent", rules[0].GetProperty("publish").GetString());
        Assert.Equal("refund", rules[1].GetProperty("when").GetProperty("contains").GetString());
        Assert.False(rules[1].GetProperty("when").TryGetProperty("equals", out _));
        Assert.Equal("tickets.normal", settings.GetProperty("otherwise").GetString());
    }

    [Fact]
    public void Aggregator_settings_hold_numbers_as_numbers_and_durations_in_timespan_c_format()
    {
        var settings = Load(FullExample).FindAgent("summaries")!.Settings;

        Assert.Equal("""{"window":{"count":10,"time":"00:00:30"},"emit":"tickets.summary"}""", settings.GetRawText());
        Assert.Equal(TimeSpan.FromSeconds(30), TimeSpan.Parse(settings.GetProperty("window").GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Llm_and_sink_settings_become_json()
    {
        var topology = Load(FullExample);
        var desk = topology.FindAgent("desk")!.Settings;
        var recent = topology.FindAgent("recent")!.Settings;

        Assert.Equal("You are a support desk assistant.", desk.GetProperty("systemPrompt").GetString());
        Assert.Equal("default", desk.GetProperty("provider").GetString());
        Assert.Equal("gpt-4o-mini", desk.GetProperty("model").GetString());
        Assert.Equal(["triage", "summaries"], desk.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(4, desk.GetProperty("maxToolRounds").GetInt32());
        Assert.Equal("""{"keep":100}""", recent.GetRawText());
    }

    [Fact]
    public void Absent_settings_are_an_empty_object_and_defaults_are_left_to_the_role()
    {
        var topology = Load("""
            agents:
              triage:
              recent:
                role: sink
            """);

        Assert.Equal(JsonValueKind.Object, topology.FindAgent("triage")!.Settings.ValueKind);
        Assert.Equal("{}", topology.FindAgent("triage")!.Settings.GetRawText());
        Assert.Equal("{}", topology.FindAgent("recent")!.Settings.GetRawText());
        Assert.Empty(topology.Routes);
    }

    [Theory]
    [InlineData("250ms", "00:00:00.2500000")]
    [InlineData("5m", "00:05:00")]
    [InlineData("1h", "01:00:00")]
    [InlineData("PT30S", "00:00:30")]
    [InlineData("P1DT2H", "1.02:00:00")]
    public void Durations_in_settings_are_normalized(string written, string stored)
    {
        var topology = Load($"""
            agents:
              summaries:
                role: aggregator
                settings:
                  window: {"{"} time: {written} {"}"}
                  emit: tickets.summary
            """);

        Assert.Equal(stored, topology.FindAgent("summaries")!.Settings.GetProperty("window").GetProperty("time").GetString());
    }

    [Fact]
    public void Unquoted_numbers_and_booleans_compare_as_json_numbers_and_booleans_quoted_ones_as_text()
    {
        var rules = Load("""
            agents:
              sorter:
                role: router
                settings:
                  rules:
                    - { when: { path: $.level, equals: 3 }, publish: a }
                    - { when: { path: $.vip, equals: true }, publish: b }
                    - { when: { path: $.code, equals: "3" }, publish: c }
                    - { when: { path: $.ratio, equals: 0.5 }, publish: d }
            """).FindAgent("sorter")!.Settings.GetProperty("rules");

        Assert.Equal(JsonValueKind.Number, rules[0].GetProperty("when").GetProperty("equals").ValueKind);
        Assert.Equal(3, rules[0].GetProperty("when").GetProperty("equals").GetInt32());
        Assert.Equal(JsonValueKind.True, rules[1].GetProperty("when").GetProperty("equals").ValueKind);
        Assert.Equal("3", rules[2].GetProperty("when").GetProperty("equals").GetString());
        Assert.Equal(0.5m, rules[3].GetProperty("when").GetProperty("equals").GetDecimal());
    }

    [Fact]
    public void Settings_of_a_code_type_keep_their_structure_with_scalars_as_text()
    {
        var settings = Load("""
            agents:
              triage:
                settings:
                  threshold: 3
                  labels: [a, b]
                  nested: { on: true, off: }
            """).FindAgent("triage")!.Settings;

        Assert.Equal("""{"threshold":"3","labels":["a","b"],"nested":{"on":"true","off":null}}""", settings.GetRawText());
    }

    [Fact]
    public void Routes_alone_may_target_code_types_the_file_does_not_list()
    {
        var topology = Load("""
            routes:
              - topic: tickets.*
                agent: triage
                key: subject
              - topic: tickets.created
                agent: triage
                key: { json: "$['customer id']" }
            """);

        var triage = Assert.Single(topology.Agents);
        Assert.Equal("triage", triage.Name);
        Assert.Equal(new SourceLocation(FileName, 2, 5), triage.Location);
        Assert.Equal(2, topology.Routes.Count);
    }

    [Fact]
    public void Agent_type_names_may_use_letters_digits_dashes_and_underscores()
    {
        var topology = Load("""
            agents:
              Recent-2_b:
                role: sink
            """);

        Assert.Equal("Recent-2_b", Assert.Single(topology.Agents).Name);
    }

    [Fact]
    public void A_block_scalar_system_prompt_is_kept_as_written()
    {
        var settings = Load("""
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: |
                    You are a support desk assistant.
                    Be brief.
                  model: gpt-4o-mini
            """).FindAgent("desk")!.Settings;

        Assert.Equal("You are a support desk assistant.\nBe brief.\n", settings.GetProperty("systemPrompt").GetString());
    }

    [Fact]
    public void Anchors_and_aliases_are_followed()
    {
        var settings = Load("""
            agents:
              desk:
                role: llm
                settings:
                  systemPrompt: &prompt Help.
                  model: *prompt
            """).FindAgent("desk")!.Settings;

        Assert.Equal("Help.", settings.GetProperty("model").GetString());
    }

    [Fact]
    public void LoadFile_reads_the_file_and_names_it_as_given_in_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agents-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, "agents:\n  recent:\n    role: sink\n");
            Assert.Equal("recent", Assert.Single(TopologyLoader.LoadFile(path, Context).Agents).Name);

            File.WriteAllText(path, "agents:\n  recent:\n    role: snk\n");
            var error = Assert.Single(Assert.Throws<TopologyException>(() => TopologyLoader.LoadFile(path, Context)).Errors);
            Assert.Equal(new SourceLocation(path, 3, 11), error.Location);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Built_in_roles_are_llm_router_aggregator_and_sink()
    {
        Assert.Equal(["llm", "router", "aggregator", "sink"], BuiltInRoles.Names);
    }
}
