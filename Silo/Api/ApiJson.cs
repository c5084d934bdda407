using System.Text.Json;
using Agents.Agents;
using Agents.Signals;

namespace Agents.Silo.Api;

/// <summary>How the API writes JSON: web defaults (camelCase), payloads and agent state inline.</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options => SignalJson.Options;

    /// <summary>A signal as a CloudEvents object (see <see cref="CloudEventJson"/>).</summary>
    public static JsonElement SignalView(Signal signal)
    {
        using var document = JsonDocument.Parse(CloudEventJson.Serialize(signal));
        return document.RootElement.Clone();
    }

    /// <summary>An agent snapshot with its state inline (not as a string of JSON).</summary>
    public static string Describe(AgentSnapshot snapshot)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", snapshot.Type);
            writer.WriteString("key", snapshot.Key);
            writer.WriteString("role", snapshot.Role);
            writer.WriteNumber("signalsHandled", snapshot.SignalsHandled);
            writer.WriteNumber("signalsDeadLettered", snapshot.SignalsDeadLettered);
            writer.WriteNumber("asks", snapshot.Asks);
            writer.WritePropertyName("state");
            writer.WriteRawValue(snapshot.State);
            writer.WriteStartArray("reminders");
            foreach (var reminder in snapshot.Reminders)
            {
                writer.WriteStartObject();
                writer.WriteString("name", reminder.Name);
                writer.WriteString("period", reminder.Period.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteString("nextDueAt", reminder.NextDueAt);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
