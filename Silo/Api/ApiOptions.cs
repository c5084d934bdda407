namespace Agents.Silo.Api;

/// <summary>The HTTP/SSE API and dashboard of the silo: <c>Agents:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Agents:Api";

    /// <summary>Whether the silo serves the API at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where it listens, separated by ';' (port 0: any free port, printed at start-up).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5000";

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How often an idle SSE stream sends a keep-alive comment.</summary>
    public TimeSpan KeepAliveEvery { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The key every /api request must carry (<c>Authorization: Bearer</c>, or <c>?access_token=</c> on an SSE stream); unset
    /// or empty, the API is open to whoever can reach it (fine on 127.0.0.1, the default). At least 16 characters, no spaces.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The configured URLs that listen beyond this machine (not localhost or a loopback address).</summary>
    internal IEnumerable<string> UrlsBeyondLoopback() =>
        Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(url =>
            !Uri.TryCreate(WithoutWildcardHost(url), UriKind.Absolute, out var uri)
            || !(uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address))));

    /// <summary>Kestrel's "any address" hosts (<c>http://*:8080</c>, <c>http://+:8080</c>, as containers use) made parseable as the any-address they mean.</summary>
    private static string WithoutWildcardHost(string url)
    {
        var host = url.IndexOf("://", StringComparison.Ordinal) + 3;
        return host > 2 && host < url.Length && url[host] is '*' or '+' ? string.Concat(url.AsSpan(0, host), "0.0.0.0", url.AsSpan(host + 1)) : url;
    }

    internal IEnumerable<string> Validate()
    {
        var spaced = ApiKey?.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) == true;
        if (!string.IsNullOrEmpty(ApiKey) && (ApiKey.Length < 16 || spaced))
        {
            yield return $"{SectionName}:ApiKey must be at least 16 characters with no spaces (it was {ApiKey.Length} characters{(spaced ? ", with spaces or control characters" : "")}); `openssl rand -hex 32` makes a good one.";
        }

        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(WithoutWildcardHost(url), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                yield return $"{SectionName}:Urls: '{url}' is not an http:// or https:// URL.";
            }
        }

        if (MaxBodyBytes < 1024)
        {
            yield return $"{SectionName}:MaxBodyBytes must be at least 1024 (was {MaxBodyBytes}).";
        }

        if (KeepAliveEvery <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:KeepAliveEvery must be positive (was {KeepAliveEvery}).";
        }
    }
}
