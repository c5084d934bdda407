using Agents.Topology;

namespace Agents.Grains.Tests.Topology;

/// <summary>Loading YAML text under a fixed file name and code types, and picking out errors.</summary>
internal static class TopologyTestSupport
{
    public const string FileName = "agents.yaml";

    /// <summary>The code types the tests pretend to have: triage and billing.</summary>
    public static TopologyValidationContext Context { get; } = new(["triage", "billing"]);

    public static AgentTopology Load(string yaml) => TopologyLoader.Load(yaml, FileName, Context);

    /// <summary>The errors loading <paramref name="yaml"/> reports (it must fail).</summary>
    public static IReadOnlyList<TopologyError> Errors(string yaml) =>
        Assert.Throws<TopologyException>(() => Load(yaml)).Errors;

    /// <summary>
    /// Asserts that loading fails with exactly one error, at <paramref name="line"/>:<paramref name="column"/>
    /// of agents.yaml, about <paramref name="field"/>, whose message contains every one of <paramref name="phrases"/>.
    /// </summary>
    public static TopologyError SingleError(string yaml, int line, int column, string field, params string[] phrases)
    {
        var errors = Errors(yaml);
        var error = Assert.Single(errors);
        AssertError(error, line, column, field, phrases);
        return error;
    }

    public static void AssertError(TopologyError error, int line, int column, string field, params string[] phrases)
    {
        Assert.Equal(new SourceLocation(FileName, line, column), error.Location);
        Assert.Equal(field, error.Field);
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, error.Message, StringComparison.Ordinal);
        }
    }
}
