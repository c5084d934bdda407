using System.Buffers;
using System.Text.Json;

namespace Agents.Signals;

/// <summary>
/// Signals in the CloudEvents 1.0 JSON format (structured mode): <c>specversion</c>, <c>id</c>,
/// <c>source</c>, <c>type</c> (the topic), <c>subject</c>, <c>time</c>, <c>datacontenttype</c>,
/// <c>data</c> (the payload, inline JSON) and the extension attributes <c>correlationid</c>,
/// <c>causationid</c> and <c>traceparent</c>. What the HTTP API and its SSE streams speak.
/// </summary>
public static class CloudEventJson
{
    /// <summary>Writes <paramref name="signal"/> as a CloudEvents JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, Signal signal)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(signal);
        writer.WriteStartObject();
        writer.WriteString("specversion", "1.0");
        writer.WriteString("id", signal.Id);
        writer.WriteString("source", signal.Source);
        writer.WriteString("type", signal.Topic);
        if (signal.Subject is { } subject)
        {
            writer.WriteString("subject", subject);
        }

        writer.WriteString("time", signal.Time);
        writer.WriteString("datacontenttype", "application/json");
        writer.WritePropertyName("data");
        writer.WriteRawValue(signal.Data, skipInputValidation: true);
        WriteOptional(writer, "correlationid", signal.CorrelationId);
        WriteOptional(writer, "causationid", signal.CausationId);
        WriteOptional(writer, "traceparent", signal.TraceParent);
        if (signal.Hops > 0)
        {
            writer.WriteNumber("hops", signal.Hops);
        }

        writer.WriteEndObject();
    }

    /// <summary><paramref name="signal"/> as CloudEvents JSON text.</summary>
    public static string Serialize(Signal signal)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + signal.Data.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, signal);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a signal from CloudEvents JSON; throws <see cref="FormatException"/> naming the missing or bad attribute.</summary>
    public static Signal Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Read(document.RootElement);
    }

    /// <summary>Reads a signal from a CloudEvents JSON object.</summary>
    public static Signal Read(JsonElement cloudEvent)
    {
        if (cloudEvent.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"A CloudEvent is a JSON object, not {cloudEvent.ValueKind}.");
        }

        return new Signal
        {
            Id = Required(cloudEvent, "id"),
            Source = Required(cloudEvent, "source"),
            Topic = Required(cloudEvent, "type"),
            Subject = Optional(cloudEvent, "subject"),
            Time = cloudEvent.TryGetProperty("time", out var time) && time.TryGetDateTimeOffset(out var at) ? at : default,
            Data = cloudEvent.TryGetProperty("data", out var data) ? data.GetRawText() : "null",
            CorrelationId = Optional(cloudEvent, "correlationid"),
            CausationId = Optional(cloudEvent, "causationid"),
            TraceParent = Optional(cloudEvent, "traceparent"),
            Hops = cloudEvent.TryGetProperty("hops", out var hops) && hops.TryGetInt32(out var count) && count > 0 ? count : 0,
        };
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string Required(JsonElement cloudEvent, string name) =>
        Optional(cloudEvent, name) ?? throw new FormatException($"The CloudEvent has no '{name}' attribute (a string).");

    private static string? Optional(JsonElement cloudEvent, string name) =>
        cloudEvent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>System.Text.Json reads and writes signals as CloudEvents JSON, payload inline (see <see cref="CloudEventJson"/>).</summary>
public sealed class SignalJsonConverter : System.Text.Json.Serialization.JsonConverter<Signal>
{
    public override Signal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        try
        {
            return CloudEventJson.Read(document.RootElement);
        }
        catch (FormatException error)
        {
            throw new JsonException(error.Message, error);
        }
    }

    public override void Write(Utf8JsonWriter writer, Signal value, JsonSerializerOptions options) => CloudEventJson.Write(writer, value);
}
