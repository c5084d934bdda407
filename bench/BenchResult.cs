using System.Text.Json.Serialization;

namespace Agents.Bench;

/// <summary>One scenario's outcome. <see cref="Ratio"/> is always ours ÷ baseline on a higher-is-better figure.</summary>
public sealed record BenchResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("ours")] double Ours,
    [property: JsonPropertyName("baseline")] double Baseline,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("unit")] string Unit)
{
    [JsonPropertyName("target")]
    public double? Target { get; init; }

    [JsonPropertyName("p50_us")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? P50Us { get; init; }

    [JsonPropertyName("p99_us")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? P99Us { get; init; }

    [JsonPropertyName("baseline_p50_us")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? BaselineP50Us { get; init; }

    [JsonPropertyName("baseline_p99_us")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? BaselineP99Us { get; init; }

    /// <summary>Scenario-specific figures (e.g. bytes per call, bytes per activation).</summary>
    [JsonPropertyName("details")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, double>? Details { get; init; }
}
