using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Agents.Silo.Api;

/// <summary>Reads a request body that must be JSON, with an error that says where it is not.</summary>
internal static class JsonBody
{
    /// <summary>
    /// The body as compact JSON text ("null" when empty), or the problem to return: malformed JSON
    /// names the line and column (1-based) and what was wrong there.
    /// </summary>
    public static async Task<(string? Json, IResult? Problem)> ReadAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length == 0)
        {
            return ("null", null);
        }

        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            return (Compact(document.RootElement.GetRawText()), null);
        }
        catch (JsonException error)
        {
            return (null, Problems.BadRequest(Describe(error, bytes.Span), context));
        }
    }

    /// <summary>
    /// <paramref name="json"/> (valid JSON) without the whitespace between its tokens: strings are kept byte for byte
    /// (no re-escaping), and the same instance comes back when there was nothing to remove. A signal's data is one line,
    /// as an SSE <c>data:</c> field and a log line want it.
    /// </summary>
    public static string Compact(string json)
    {
        System.Text.StringBuilder? compact = null;
        var copied = 0;
        var inString = false;
        var escaped = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is ' ' or '\t' or '\r' or '\n')
            {
                compact ??= new System.Text.StringBuilder(json.Length);
                compact.Append(json, copied, i - copied);
                copied = i + 1;
            }
        }

        return compact is null ? json : compact.Append(json, copied, json.Length - copied).ToString();
    }

    private static string Describe(JsonException error, ReadOnlySpan<byte> body)
    {
        var line = (error.LineNumber ?? 0) + 1;
        var column = (error.BytePositionInLine ?? 0) + 1;
        // The parser's own message ends with its 0-based position; say it once, 1-based, and show the spot.
        var reason = error.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        return $"The request body is not valid JSON: line {line}, column {column}: {reason.TrimEnd()} Near: {Excerpt(body, error)}";
    }

    private static string Excerpt(ReadOnlySpan<byte> body, JsonException error)
    {
        var lines = Encoding.UTF8.GetString(body).Split('\n');
        var index = (int)Math.Min(error.LineNumber ?? 0, lines.Length - 1);
        var text = lines[index].TrimEnd('\r');
        var at = (int)Math.Min(error.BytePositionInLine ?? 0, text.Length);
        var start = Math.Max(0, at - 20);
        return $"'{text[start..Math.Min(text.Length, at + 20)]}'";
    }
}
