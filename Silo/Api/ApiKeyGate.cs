using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Agents.Silo.Api;

/*
 * The API key gate: with Agents:Api:ApiKey set, every request under /api must carry the key.
 *
 * Invariants
 *  - Only /api is gated (matched by path segment, case-insensitively, as routing matches). The
 *    health probes stay open (an orchestrator's probe carries no secret, and they reveal nothing),
 *    and so does the dashboard page at /: it is static, and every figure it draws comes from /api.
 *  - The key is taken from `Authorization: Bearer <key>`, or from an `access_token` query
 *    parameter, which is there for browsers' EventSource (it cannot set headers). Nothing else.
 *  - The comparison is fixed-time over SHA-256 digests, so timing tells neither the key's
 *    characters nor its length.
 *  - A refused request runs nothing: it gets 401 problem+json with `WWW-Authenticate: Bearer`
 *    and a detail that says what to send, never the key.
 *  - With no key configured the gate is not installed, and costs nothing per request.
 */

/// <summary>Requires Agents:Api:ApiKey on /api requests when it is set; see the invariants at the top of this file.</summary>
internal static class ApiKeyGate
{
    /// <summary>The query parameter a browser's EventSource carries the key in.</summary>
    public const string QueryParameter = "access_token";

    public static void UseApiKeyGate(this WebApplication app, string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                return next(context);
            }

            var presented = Presented(context.Request);
            if (presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected))
            {
                return next(context);
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized", presented is null
                ? $"This silo's API needs its API key (Agents:Api:ApiKey): send the header 'Authorization: Bearer <key>', or add ?{QueryParameter}=<key> to an SSE stream's URL."
                : "The API key sent does not match this silo's (Agents:Api:ApiKey).", context).ExecuteAsync(context);
        });
    }

    /// <summary>The key the request carries (bearer token first, then the query parameter), or null.</summary>
    private static string? Presented(HttpRequest request)
    {
        var authorization = request.Headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Query.TryGetValue(QueryParameter, out var token) && token.Count == 1 ? token[0] : null;
    }
}
