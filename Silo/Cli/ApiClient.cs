using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Agents.Silo.Cli;

/// <summary>The CLI's way to a running silo: its HTTP API. Failures become <see cref="CliException"/> with a message to print.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;

    /// <summary>A client of the API at <paramref name="baseAddress"/>, sending <paramref name="apiKey"/> as a bearer token when there is one.</summary>
    public ApiClient(Uri baseAddress, string? apiKey)
    {
        _baseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri BaseAddress => _baseAddress;

    public Task<string> PostJsonAsync(string path, string json, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, TimeSpan.FromSeconds(60), cancellationToken);

    public Task<string> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>Opens an SSE stream; the caller reads lines from it until cancelled.</summary>
    public async Task<Stream> OpenStreamAsync(string path, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await CallAsync(() => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken));
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    private async Task<string> SendAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var response = await CallAsync(() => _http.SendAsync(request, deadline.Token));
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task<HttpResponseMessage> CallAsync(Func<Task<HttpResponseMessage>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException error)
        {
            throw new CliException($"No silo answers at {_baseAddress} ({error.Message}). Start one with `dotnet run --project Silo`, or point --api (or AGENTS_API) at one.");
        }
        catch (TaskCanceledException)
        {
            throw new CliException($"The silo at {_baseAddress} did not answer in time.");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = body;
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("detail", out var text))
            {
                detail = text.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
            // Not problem+json: show the body as it came.
        }

        var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " Pass it with --api-key or the AGENTS_API_KEY environment variable." : "";
        throw new CliException($"{(int)response.StatusCode} {(response.StatusCode == HttpStatusCode.NotFound ? "Not found" : response.ReasonPhrase)}: {detail}{hint}");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A CLI failure whose message is what the user should read.</summary>
internal sealed class CliException(string message) : Exception(message);
