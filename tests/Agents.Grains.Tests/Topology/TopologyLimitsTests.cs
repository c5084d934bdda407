using System.Diagnostics;
using Agents.Topology;

namespace Agents.Grains.Tests.Topology;

/// <summary>Hostile topologies are refused quickly with an error, not by running out of memory.</summary>
public sealed class TopologyLimitsTests
{
    [Fact]
    public void Settings_that_expand_exponentially_through_aliases_are_refused_with_their_location()
    {
        const string Yaml = """
            agents:
              triage:
                settings:
                  a: &a [x, x, x, x, x, x, x, x, x, x]
                  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
                  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
                  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
                  g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
            """;
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<TopologyException>(() => TopologyLoader.Load(Yaml, "agents.yaml", new TopologyValidationContext(["triage"])));

        Assert.Contains("agents.yaml:4:7: agents.triage.settings: expands to more than 100,000 values", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"refusing took {clock.Elapsed}");
    }
}
