using Agents.Signals;
using Agents.Topology;

namespace Agents.Grains.Tests.Topology;

/// <summary>Routes keyed by a JSON path read the key straight from the signal's data, as a document would.</summary>
public sealed class JsonPathKeyTests
{
    [Theory]
    [InlineData("$.customer.id", """{"customer":{"id":"alice"}}""", "alice")]
    [InlineData("$.customer.id", """{"other":[1,{"x":2}],"customer":{"name":"n","id":42}}""", "42")]
    [InlineData("$.items[1].sku", """{"items":[{"sku":"a"},{"sku":"b"}]}""", "b")]
    [InlineData("$['odd name']", """{"odd name":true}""", "true")]
    [InlineData("$.k", """{"k":-1.5e3}""", "-1.5e3")]
    [InlineData("$.k", """{"\u006b":"escaped name"}""", "escaped name")]
    [InlineData("$.k", """{"k":"caf\u00e9 \"quoted\""}""", "café \"quoted\"")]
    [InlineData("$.k", """{"k":"first","k":"second"}""", "first")]
    [InlineData("$", "\"whole\"", "whole")]
    public void The_key_is_the_scalar_at_the_path(string path, string data, string key)
    {
        Assert.Equal(key, KeyOf(path, data, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("$.k", """{"k":"first","k":"second"}""")]
    [InlineData("$.a.k", """{"a":{"k":"first","x":1,"k":"second"},"a":{"k":"third"}}""")]
    public void A_router_rule_reads_the_same_member_as_a_key_where_a_name_repeats(string path, string data)
    {
        using var document = System.Text.Json.JsonDocument.Parse(data);

        Assert.True(JsonPath.Parse(path).TryEvaluate(document.RootElement, out var value));
        Assert.Equal(KeyOf(path, data, out _), value.GetString());
        Assert.Equal("first", value.GetString());
    }

    [Theory]
    [InlineData("$.customer.id", """{"customer":{"name":"n"}}""", "has nothing at $.customer.id")]
    [InlineData("$.items[5]", """{"items":[1,2]}""", "has nothing at $.items[5]")]
    [InlineData("$.customer.id", """{"customer":"flat"}""", "has nothing at $.customer.id")]
    [InlineData("$.customer", """{"customer":{"id":1}}""", "$.customer is Object, not a string, number or boolean")]
    [InlineData("$.k", """{"k":null}""", "$.k is Null, not a string, number or boolean")]
    [InlineData("$.k", """{"k":""}""", "$.k is String, not a string, number or boolean")]
    [InlineData("$.k", """{"k":1,""", "its data is not JSON")]
    [InlineData("$.k", """{"k":1} trailing""", "its data is not JSON")]
    [InlineData("$.k", """{"x":[1,2,}""", "its data is not JSON")]
    public void A_missing_or_unusable_key_says_why(string path, string data, string expected)
    {
        Assert.Null(KeyOf(path, data, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Large_data_is_read_from_a_pooled_buffer()
    {
        var data = $$"""{"padding":"{{new string('x', 100_000)}}","k":"deep"}""";
        Assert.Equal("deep", KeyOf("$.k", data, out _));
    }

    private static string? KeyOf(string path, string data, out string? error) =>
        new KeyRule.JsonPathKey(JsonPath.Parse(path)).KeyOf(Signal.Create("t.k", data, "/tests"), out error) is { IsNone: false } key ? key.ToString() : null;
}
