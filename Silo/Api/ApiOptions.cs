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

    internal IEnumerable<string> Validate()
    {
        foreach (var url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
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
