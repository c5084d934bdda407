using System.Text.Json;
using Agents.Streams;

namespace Agents.Signals;

/// <summary>
/// A signal: something that happened, shaped like a CloudEvents event. <see cref="Topic"/> is the
/// CloudEvents <c>type</c> (a dotted name such as <c>tickets.created</c>); <see cref="Data"/> is
/// JSON text. Signals are immutable and cheap to copy.
/// </summary>
[GenerateSerializer]
[Immutable]
[System.Text.Json.Serialization.JsonConverter(typeof(SignalJsonConverter))]
public sealed record Signal : IStreamItemSize
{
    /// <summary>The longest id a publisher may give a signal (ids are kept for dedupe, so they stay short).</summary>
    public const int MaxIdLength = 200;

    /// <summary>Unique id (CloudEvents <c>id</c>); consumers dedupe by it.</summary>
    [Id(0)]
    public required string Id { get; init; }

    /// <summary>Who produced it (CloudEvents <c>source</c>), e.g. <c>/agents/router/main</c> or <c>/api</c>.</summary>
    [Id(1)]
    public required string Source { get; init; }

    /// <summary>The topic (CloudEvents <c>type</c>): dotted segments, e.g. <c>tickets.created</c>.</summary>
    [Id(2)]
    public required string Topic { get; init; }

    /// <summary>What it is about (CloudEvents <c>subject</c>), e.g. a customer id; routes may key agents by it.</summary>
    [Id(3)]
    public string? Subject { get; init; }

    /// <summary>When it happened (CloudEvents <c>time</c>).</summary>
    [Id(4)]
    public DateTimeOffset Time { get; init; }

    /// <summary>The payload as JSON text (<c>null</c> JSON when absent).</summary>
    [Id(5)]
    public string Data { get; init; } = "null";

    /// <summary>The conversation or workflow this signal belongs to; inherited by signals it causes.</summary>
    [Id(6)]
    public string? CorrelationId { get; init; }

    /// <summary>The id of the signal whose handling produced this one.</summary>
    [Id(7)]
    public string? CausationId { get; init; }

    /// <summary>W3C <c>traceparent</c> of the publisher's activity, when there was one.</summary>
    [Id(8)]
    public string? TraceParent { get; init; }

    /// <summary>
    /// How many signals led to this one: 0 for a signal published from outside a handler, one more than its cause's for a
    /// signal a handler published. Agents refuse to go past Agents:Service:MaxSignalHops, which ends loops between agents.
    /// </summary>
    [Id(9)]
    public int Hops { get; init; }

    // Computed from the fields above on first use; not copied by `with` and not part of the value (SignalDerived.cs).
    private SignalDerived _derived;

    /// <summary>A copy for `with`: the fields, not the values derived from them (the copy's fields may differ).</summary>
    private Signal(Signal original)
    {
        Id = original.Id;
        Source = original.Source;
        Topic = original.Topic;
        Subject = original.Subject;
        Time = original.Time;
        Data = original.Data;
        CorrelationId = original.CorrelationId;
        CausationId = original.CausationId;
        TraceParent = original.TraceParent;
        Hops = original.Hops;
    }

    /// <summary>At most the bytes this signal takes on the wire: every character as 3 UTF-8 bytes, plus the fixed fields.</summary>
    int IStreamItemSize.ApproximateSize => Derived.Size;

    /// <summary>The fingerprint of <see cref="Id"/> (<see cref="SignalIds.Fingerprint"/>), computed once per signal.</summary>
    internal UInt128 IdFingerprint => Derived.IdFingerprint;

    private ref readonly SignalDerived Derived
    {
        get
        {
            if (!_derived.Ready)
            {
                Derive();
            }

            return ref _derived;
        }
    }

    /// <summary>Computes the values derived from the fields (once; see SignalDerived.cs): done where the signal is still in cache.</summary>
    internal void Derive() => _derived.Set(
        SignalIds.Fingerprint(Id ?? ""),
        64 + (3 * ((Id?.Length ?? 0) + (Source?.Length ?? 0) + (Topic?.Length ?? 0) + (Data?.Length ?? 0)
            + (Subject?.Length ?? 0) + (CorrelationId?.Length ?? 0) + (CausationId?.Length ?? 0) + (TraceParent?.Length ?? 0))));

    /// <summary>The payload parsed (a detached copy).</summary>
    public JsonElement DataElement()
    {
        using var document = JsonDocument.Parse(Data);
        return document.RootElement.Clone();
    }

    /// <summary>The payload deserialized as <typeparamref name="T"/> (web defaults: camelCase, case-insensitive).</summary>
    public T? DataAs<T>() => JsonSerializer.Deserialize<T>(Data, SignalJson.Options);

    /// <summary>A new signal with a fresh id and the current time.</summary>
    public static Signal Create(string topic, string dataJson, string source, string? subject = null) => new()
    {
        Id = SignalIds.Next(),
        Source = source,
        Topic = TopicPattern.ValidateTopic(topic),
        Subject = subject,
        Time = DateTimeOffset.UtcNow,
        Data = string.IsNullOrWhiteSpace(dataJson) ? "null" : dataJson,
    };

    /// <summary>A new signal whose payload is <paramref name="data"/> as JSON.</summary>
    public static Signal Create<T>(string topic, T data, string source, string? subject = null) =>
        Create(topic, JsonSerializer.Serialize(data, SignalJson.Options), source, subject);

    /// <summary>A signal caused by this one: same correlation (or this id when it had none), causation = this id, one more hop.</summary>
    public Signal Caused(string topic, string dataJson, string source, string? subject = null) =>
        Create(topic, dataJson, source, subject) with
        {
            CorrelationId = CorrelationId ?? Id,
            CausationId = Id,
            TraceParent = TraceParent,
            Hops = Hops + 1,
        };

    /// <summary>Whether <paramref name="id"/> can be a signal id: 1 to <see cref="MaxIdLength"/> characters, no control characters.</summary>
    public static bool IsValidId(string? id) => id is { Length: > 0 and <= MaxIdLength } && !id.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !id.AsSpan().ContainsAnyInRange('\u007f', '\u009f');

    public override string ToString() => $"{Topic} {Id}{(Subject is null ? "" : $" (subject {Subject})")}";
}

/// <summary>The JSON settings signals and agent payloads use: web defaults (camelCase, case-insensitive reads).</summary>
public static class SignalJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
