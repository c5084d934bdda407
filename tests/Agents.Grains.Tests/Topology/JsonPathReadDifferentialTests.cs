using System.Globalization;
using System.Text;
using System.Text.Json;
using Agents.Topology;

namespace Agents.Grains.Tests.Topology;

/// <summary>
/// JsonPath.Read scans UTF-16 text itself (JsonPath.Scan.cs); it must accept exactly what System.Text.Json's
/// Utf8JsonReader accepts and find the same value. Held to that on generated documents and on broken copies of them,
/// against a reader-based walk (what JsonPath.Read was before it scanned for itself).
/// </summary>
public sealed class JsonPathReadDifferentialTests
{
    private static readonly (string Text, object[] Steps)[] Paths =
    [
        ("$", []),
        ("$.a", ["a"]),
        ("$.a.b", ["a", "b"]),
        ("$.a[0]", ["a", 0]),
        ("$[1]", [1]),
        ("$.b[2].a", ["b", 2, "a"]),
        ("$['a b']", ["a b"]),
    ];

    private static readonly string[] Names = ["a", "b", "a b", "\\u0061", "c", "\\\"q", "é"];

    [Fact]
    public void Generated_documents_read_as_the_reader_reads_them()
    {
        var random = new Random(20261202);
        var checkedCount = 0;
        var outcomes = new Dictionary<PathRead, int>();
        for (var i = 0; i < 4_000; i++)
        {
            var document = new StringBuilder();
            WriteValue(document, random, depth: 0);
            var text = document.ToString();
            checkedCount += Compare(text, outcomes);
            for (var m = 0; m < 6; m++)
            {
                checkedCount += Compare(Mutate(text, random), outcomes);
            }
        }

        Assert.True(checkedCount > 100_000, $"only {checkedCount} comparisons ran");
        Assert.All(Enum.GetValues<PathRead>(), outcome => Assert.True(
            outcomes.GetValueOrDefault(outcome) > 10_000, $"only {outcomes.GetValueOrDefault(outcome)} comparisons ended {outcome}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\uFEFF{}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[1,]")]
    [InlineData("// comment\n{}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":-}")]
    [InlineData("{\"a\":1.}")]
    [InlineData("{\"a\":1e}")]
    [InlineData("{\"a\":1E+2}")]
    [InlineData("{\"a\":-0.0e-0}")]
    [InlineData("{\"a\":\"tab\there\"}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"a\":\"\\u12\"}")]
    [InlineData("{\"a\":\"\\u12G4\"}")]
    [InlineData("{\"a\":\"\\ud83d\\ude00\"}")]
    [InlineData("{\"a\":\"\ud83d\ude00 raw\"}")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":truex}")]
    [InlineData("{\"a\":nul}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":1 \"b\":2}")]
    [InlineData("{\"a\":1}}")]
    [InlineData("[1] [2]")]
    [InlineData("\"a\" ")]
    [InlineData("{\"a\":\"x\",\"a\":\"y\"}")]
    [InlineData("{\"\\u0061\":\"escaped\",\"a\":\"plain\"}")]
    [InlineData("{\"a\":{\"b\":[1,{\"c\":2}],\"b\":3}}")]
    [InlineData(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n")]
    public void Edge_cases_read_as_the_reader_reads_them(string text) => Assert.True(Compare(text) > 0);

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    public void Nesting_is_limited_as_the_reader_limits_it(int depth)
    {
        Compare(new string('[', depth) + new string(']', depth));
        Compare(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth));
    }

    /// <summary>Compares every path over <paramref name="text"/>; returns how many comparisons ran.</summary>
    private static int Compare(string text, Dictionary<PathRead, int>? outcomes = null)
    {
        var ran = 0;
        foreach (var (pathText, steps) in Paths)
        {
            var path = JsonPath.Parse(pathText);
            var actual = path.Read(text, out var kind, out var found, out var error);
            if (!TryOracle(text, steps, out var expected, out var expectedKind, out var expectedText))
            {
                continue; // the reader itself cannot unescape the value (an escaped lone surrogate)
            }

            Assert.True(expected == actual, $"{pathText} over {Show(text)}: the reader says {expected}, JsonPath.Read says {actual} ({error})");
            if (outcomes is not null)
            {
                outcomes[actual] = outcomes.GetValueOrDefault(actual) + 1;
            }

            if (actual == PathRead.NotJson)
            {
                Assert.False(string.IsNullOrEmpty(error), $"no error for {Show(text)}");
            }

            if (actual == PathRead.Found)
            {
                Assert.True(expectedKind == kind, $"{pathText} over {Show(text)}: kind {kind}, the reader's {expectedKind}");
                Assert.True(expectedText == found, $"{pathText} over {Show(text)}: '{found}', the reader's '{expectedText}'");
            }

            ran++;
        }

        return ran;
    }

    private static string Show(string text) => JsonSerializer.Serialize(text);

    private static void WriteValue(StringBuilder json, Random random, int depth)
    {
        Space(json, random);
        switch (random.Next(depth > 4 ? 6 : 9))
        {
            case 0:
                json.Append(random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" });
                break;
            case 1 or 2:
                json.Append(random.Next(6) switch
                {
                    0 => "0",
                    1 => "-12",
                    2 => "3.25",
                    3 => "-0.5e-3",
                    4 => "7E+2",
                    _ => random.Next(1000).ToString(CultureInfo.InvariantCulture),
                });
                break;
            case 3 or 4 or 5:
                json.Append('"').Append(random.Next(8) switch
                {
                    0 => "",
                    1 => "plain",
                    2 => "with \\\"quotes\\\" and \\\\ slash",
                    3 => "\\u00e9t\\u00E9 \\n\\t\\/\\b\\f\\r",
                    4 => "caf\u00e9 \ud83d\ude00",
                    5 => "\\ud83d\\ude00",
                    6 => Names[random.Next(Names.Length)],
                    _ => "x",
                }).Append('"');
                break;
            case 6 or 7:
                json.Append('{');
                var members = random.Next(4);
                for (var i = 0; i < members; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }

                    Space(json, random);
                    json.Append('"').Append(Names[random.Next(Names.Length)]).Append('"');
                    Space(json, random);
                    json.Append(':');
                    WriteValue(json, random, depth + 1);
                    Space(json, random);
                }

                json.Append('}');
                break;
            default:
                json.Append('[');
                var elements = random.Next(4);
                for (var i = 0; i < elements; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }

                    WriteValue(json, random, depth + 1);
                    Space(json, random);
                }

                json.Append(']');
                break;
        }

        Space(json, random);
    }

    private static void Space(StringBuilder json, Random random)
    {
        if (random.Next(4) == 0)
        {
            json.Append(" \t\n\r"[random.Next(4)]);
        }
    }

    private static string Mutate(string text, Random random)
    {
        const string Alphabet = "{}[]\",:\\ u0aEe.-+tfn1\t\u0001\u007f\ufeff\ud800é/";
        if (text.Length == 0)
        {
            return Alphabet[random.Next(Alphabet.Length)].ToString();
        }

        var at = random.Next(text.Length);
        return random.Next(4) switch
        {
            0 => text.Remove(at, 1),
            1 => text.Insert(at, Alphabet[random.Next(Alphabet.Length)].ToString()),
            2 => string.Concat(text.AsSpan(0, at), Alphabet[random.Next(Alphabet.Length)].ToString(), text.AsSpan(at + 1)),
            _ => text[..at],
        };
    }

    /// <summary>The reader-based walk: Utf8JsonReader over the UTF-8 text, the first of repeated names counting.</summary>
    private static bool TryOracle(string text, object[] steps, out PathRead result, out JsonValueKind kind, out string? found)
    {
        (result, kind, found) = (PathRead.NotJson, JsonValueKind.Undefined, null);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            if (!reader.Read())
            {
                return true;
            }

            var hit = Walk(ref reader, steps);
            if (hit)
            {
                (kind, found) = reader.TokenType switch
                {
                    JsonTokenType.String => (JsonValueKind.String, reader.GetString()),
                    JsonTokenType.Number => (JsonValueKind.Number, Encoding.UTF8.GetString(reader.ValueSpan)),
                    JsonTokenType.True => (JsonValueKind.True, "true"),
                    JsonTokenType.False => (JsonValueKind.False, "false"),
                    JsonTokenType.Null => (JsonValueKind.Null, null),
                    JsonTokenType.StartObject => (JsonValueKind.Object, null),
                    _ => (JsonValueKind.Array, (string?)null),
                };
            }

            while (reader.Read())
            {
            }

            result = hit ? PathRead.Found : PathRead.Missing;
            return true;
        }
        catch (JsonException)
        {
            (result, kind, found) = (PathRead.NotJson, JsonValueKind.Undefined, null);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool Walk(ref Utf8JsonReader reader, object[] steps)
    {
        foreach (var step in steps)
        {
            var found = false;
            if (step is string name)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return false;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var match = reader.ValueTextEquals(name);
                    reader.Read();
                    if (match)
                    {
                        found = true;
                        break;
                    }

                    reader.Skip();
                }
            }
            else
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
                {
                    if (i == (int)step)
                    {
                        found = true;
                        break;
                    }

                    reader.Skip();
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }
}
