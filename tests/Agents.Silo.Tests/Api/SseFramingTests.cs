using System.Buffers;
using System.Text;
using System.Text.Json;
using Agents.Signals;
using Agents.Silo.Api;

namespace Agents.Silo.Tests.Api;

/// <summary>An SSE message stays one message, and its data the signal's CloudEvent, whatever the signal's data holds.</summary>
public sealed class SseFramingTests
{
    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("{\n  \"a\": 1\n}")]
    [InlineData("{\r\n\r\n\"a\":\r1}")]
    [InlineData("[1,\n\n\n2]")]
    public void A_signal_is_one_sse_message_whose_data_lines_join_to_its_cloudevent(string data)
    {
        var signal = Signal.Create("t.a", data, "/tests") with { Id = "s-1" };
        var buffer = new ArrayBufferWriter<byte>();

        SignalEndpoints.WriteEvent(buffer, signal);

        // Parse as an EventSource does: fields up to the blank line; data lines joined with '\n'.
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var message = text[..^2];
        Assert.DoesNotContain("\n\n", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', message);
        var lines = message.Split('\n');
        Assert.Equal("id: s-1", lines[0]);
        Assert.All(lines[1..], line => Assert.StartsWith("data: ", line, StringComparison.Ordinal));
        using var cloudEvent = JsonDocument.Parse(string.Join('\n', lines[1..].Select(line => line["data: ".Length..])));
        Assert.Equal("s-1", cloudEvent.RootElement.GetProperty("id").GetString());
        using var expected = JsonDocument.Parse(data.Replace('\r', '\n'));
        Assert.Equal(JsonSerializer.Serialize(expected.RootElement), JsonSerializer.Serialize(cloudEvent.RootElement.GetProperty("data")));
    }

    [Theory]
    [InlineData("{\"a\":1}", "{\"a\":1}")]
    [InlineData(" { \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : \"x y\\\" z\" } ", "{\"a\":[1,2],\"b\":\"x y\\\" z\"}")]
    [InlineData("\"  spaced \\\\\"", "\"  spaced \\\\\"")]
    public void Compact_json_drops_the_whitespace_between_tokens_and_keeps_strings_as_they_are(string json, string compact) =>
        Assert.Equal(compact, JsonBody.Compact(json));
}
