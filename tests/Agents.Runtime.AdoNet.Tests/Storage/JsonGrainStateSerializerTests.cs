using System.Text;
using Agents.Storage;
using Agents.Testing.Storage;

namespace Agents.AdoNet.Tests.Storage;

public sealed class JsonGrainStateSerializerTests
{
    private readonly JsonGrainStateSerializer _serializer = JsonGrainStateSerializer.Default;

    [Fact]
    public void State_round_trips()
    {
        var original = SampleState.Create("round trip");

        var copy = _serializer.Deserialize<SampleState>(_serializer.Serialize(original).Span);

        Assert.NotNull(copy);
        SampleState.AssertEqual(original, copy);
    }

    [Fact]
    public void Output_is_json_a_person_can_read()
    {
        var json = Encoding.UTF8.GetString(_serializer.Serialize(SampleState.Create("readable")).Span);

        Assert.Contains("\"name\":\"readable\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"Planner\"", json, StringComparison.Ordinal);
        Assert.Contains("\"numbers\":[3,1,4,1,5]", json, StringComparison.Ordinal);
        Assert.Contains("héllo <ünïcode>", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_numbers_and_differently_cased_names_still_read()
    {
        var state = _serializer.Deserialize<SampleState>("{\"Name\":\"x\",\"kind\":2}"u8);

        Assert.NotNull(state);
        Assert.Equal("x", state.Name);
        Assert.Equal(SampleKind.Worker, state.Kind);
    }

    [Fact]
    public void Malformed_input_throws()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => _serializer.Deserialize<SampleState>("{\"name\":"u8));
    }
}
