using System.Text.Json;
using Agents.Agents;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Logging;

namespace Agents.Roles;

/*
 * The built-in router role: settings { rules: [{ when: { path, equals | contains }, publish }], otherwise }
 * (validated by RoleSchemas before they reach this class).
 *
 * Invariants
 *  - Rules are tried in the order written; the first whose condition holds decides the topic. No
 *    rule matches -> the 'otherwise' topic when there is one, else the signal is counted as
 *    unmatched and dropped (it is handled, not dead-lettered: dropping is what the topology asked).
 *  - The republished signal carries the handled signal's data unchanged and its subject, and is
 *    caused by it (Context.PublishAsync: same correlation id, causation id = the handled signal).
 *  - Comparisons: 'equals' compares JSON values of the same kind only: text ordinally, numbers by
 *    value (3 equals 3.0), booleans; text "3" does not equal the number 3. 'contains' holds when
 *    the value at the path is text containing the given text, ignoring case (ordinal);
 *    any other kind of value, or nothing at the path, does not match.
 *  - Counters are saved after the publish succeeded, so a failed publish is retried by the agent
 *    grain without counting twice; a crash between publish and save republishes (at least once).
 */

/// <summary>What a router counts, durably.</summary>
public sealed class RouterState
{
    /// <summary>Signals republished, by the topic they went to.</summary>
    public Dictionary<string, long> Routed { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Signals no rule matched and that had no 'otherwise' topic to go to.</summary>
    public long Unmatched { get; set; }
}

/// <summary>The reply to a router's <c>stats</c> request.</summary>
public sealed record RouterStats(IReadOnlyDictionary<string, long> Routed, long Unmatched);

/// <summary>
/// The built-in <c>router</c> role: republishes each signal routed to it on the topic of the first
/// rule whose condition its data meets, or on the <c>otherwise</c> topic. See the invariants at the
/// top of this file.
/// </summary>
public sealed partial class RouterAgent : Agent<RouterState>
{
    private readonly IReadOnlyList<RouterRule> _rules;
    private readonly string? _otherwise;

    public RouterAgent(AgentTypeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var settings = definition.Settings;
        _rules = settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array
            ? [.. rules.EnumerateArray().Select(RouterRule.FromSettings)]
            : [];
        _otherwise = settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("otherwise", out var otherwise) ? otherwise.GetString() : null;
    }

    protected override void Configure(AgentBehavior agent) => agent
        .On("#", RouteAsync)
        .Answer<object?, RouterStats>(
            "stats",
            _ => Task.FromResult(new RouterStats(new Dictionary<string, long>(State.Routed, StringComparer.Ordinal), State.Unmatched)),
            "Signals routed so far: { routed: { topic: count }, unmatched: count }.");

    protected override string DescribeState() =>
        JsonSerializer.Serialize(new { routed = State.Routed, unmatched = State.Unmatched, rules = _rules.Count, otherwise = _otherwise }, SignalJson.Options);

    private async Task RouteAsync(Signal signal)
    {
        JsonElement data;
        try
        {
            data = signal.DataElement();
        }
        catch (JsonException ex)
        {
            throw new SignalDataException($"The data of signal {signal.Id} on {signal.Topic} is not JSON: {ex.Message}", ex);
        }

        var topic = _rules.FirstOrDefault(rule => rule.Matches(data))?.Publish ?? _otherwise;
        if (topic is null)
        {
            State.Unmatched++;
            LogUnmatched(Context.Logger, Context.Id, signal.Id, signal.Topic);
        }
        else
        {
            await Context.PublishAsync(topic, data, signal.Subject);
            State.Routed[topic] = State.Routed.GetValueOrDefault(topic) + 1;
        }

        await SaveStateAsync();
    }

    [LoggerMessage(4300, LogLevel.Debug, "Router {Agent}: no rule matches signal {SignalId} on {Topic} and there is no 'otherwise' topic; dropped")]
    private static partial void LogUnmatched(ILogger logger, AgentId agent, string signalId, string topic);
}

/// <summary>One router rule: when the value at <see cref="Path"/> equals <see cref="EqualTo"/> (or contains <see cref="Containing"/>), publish on <see cref="Publish"/>.</summary>
internal sealed record RouterRule(JsonPath Path, JsonElement? EqualTo, string? Containing, string Publish)
{
    /// <summary>A rule as written in the settings: <c>{ when: { path, equals | contains }, publish }</c>.</summary>
    public static RouterRule FromSettings(JsonElement rule)
    {
        var when = rule.GetProperty("when");
        return new RouterRule(
            JsonPath.Parse(when.GetProperty("path").GetString()!),
            when.TryGetProperty("equals", out var equals) ? equals.Clone() : null,
            when.TryGetProperty("contains", out var contains) ? contains.GetString() : null,
            rule.GetProperty("publish").GetString()!);
    }

    /// <summary>Whether <paramref name="data"/> meets this rule's condition.</summary>
    public bool Matches(JsonElement data)
    {
        if (!Path.TryEvaluate(data, out var value))
        {
            return false;
        }

        if (EqualTo is { } expected)
        {
            return JsonValuesEqual(value, expected);
        }

        return Containing is { } text
            && value.ValueKind == JsonValueKind.String
            && value.GetString()!.Contains(text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Equality of two JSON values of the same kind: text ordinally, numbers by value, booleans; other kinds never equal.</summary>
    public static bool JsonValuesEqual(JsonElement value, JsonElement expected) => (value.ValueKind, expected.ValueKind) switch
    {
        (JsonValueKind.String, JsonValueKind.String) => value.ValueEquals(expected.GetString()),
        (JsonValueKind.Number, JsonValueKind.Number) => NumbersEqual(value, expected),
        (JsonValueKind.True, JsonValueKind.True) or (JsonValueKind.False, JsonValueKind.False) => true,
        _ => false,
    };

    private static bool NumbersEqual(JsonElement a, JsonElement b)
    {
        if (a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y))
        {
            return x == y;
        }

        // Beyond decimal's range (e.g. 1e30): doubles, then the literal text for what doubles cannot hold.
        return a.TryGetDouble(out var p) && b.TryGetDouble(out var q) ? p.Equals(q) : string.Equals(a.GetRawText(), b.GetRawText(), StringComparison.Ordinal);
    }
}
