/*
 * OpenAiCompatibleChatClient: an IChatClient over HttpClient speaking OpenAI Chat Completions (wire format: OpenAiWire.cs).
 *
 * Invariants:
 * - The API key is resolved once per call (OpenAiCompatibleOptions.ApiKey, else the environment variable it names, read now so
 *   that a rotated key is picked up) and goes only into the request's Authorization or api-key header. It never reaches a log or
 *   an exception: server text quoted in an LlmException is scrubbed of it first, and exceptions name the variable, not the value.
 * - Exceptions name the endpoint without its query string (scheme, host, path).
 * - Attempts = 1 + MaxRetries. Retried: 408, 429, 5xx, and network failures before any response (HttpRequestException). Not
 *   retried: other statuses, timeouts (a model that was too slow once will be again), caller cancellation, and a stream that has
 *   started (its updates may already be consumed).
 * - The delay before a retry is the server's retry-after-ms or Retry-After (seconds or a date) when it sends one, else
 *   0.5 s * 2^(attempt-1) capped at 8 s (no jitter). A server asking for more than 30 s is not waited for: the call fails with
 *   that status and says so.
 * - RequestTimeout bounds each attempt: sending, the server's thinking and reading the whole body. For a stream it bounds the wait
 *   for the headers and then every wait for the next event (an idle timeout), so a long answer that keeps flowing is not cut.
 *   A timeout is an LlmException that says the limit and the setting that raises it. HttpClient.Timeout should be infinite (the
 *   registration sets it so); if a caller's HttpClient has a shorter one and it fires, that is reported as what it is.
 * - Cancellation of the caller's token surfaces as OperationCanceledException, never as an LlmException.
 * - Thread-safe: no mutable state; the HttpClient is obtained per call from the source (IHttpClientFactory in the registration)
 *   and is never disposed here.
 * - Streaming is real server-sent events; a server that ignores "stream": true and answers with one JSON completion still works
 *   (its answer is yielded as updates).
 */
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Llm;

/// <summary>
/// An <see cref="IChatClient"/> for any server that speaks the OpenAI Chat Completions wire format: OpenAI, Azure OpenAI,
/// Ollama (<c>/v1</c>) and vLLM. Retries 429 and 5xx with backoff (honouring <c>Retry-After</c>), bounds every attempt by
/// <see cref="OpenAiCompatibleOptions.RequestTimeout"/> and reports failures as <see cref="LlmException"/>.
/// </summary>
/// <remarks>
/// The client does not run tools: a reply with tool calls comes back as <see cref="FunctionCallContent"/>. Wrap it in a
/// <see cref="ToolCallingChatClient"/> to have them run. The <see cref="HttpClient"/> is not disposed by this client.
/// </remarks>
public sealed partial class OpenAiCompatibleChatClient : IChatClient
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan MaxHonouredRetryAfter = TimeSpan.FromSeconds(30);
    private const int MaxQuotedLength = 500;

    private readonly Func<HttpClient> _httpClientSource;
    private readonly OpenAiCompatibleOptions _options;
    private readonly string _settingsPath;
    private readonly string _endpointName;
    private readonly ILogger _logger;
    private readonly ChatClientMetadata _metadata;

    /// <summary>
    /// A client that sends through <paramref name="httpClient"/> (whose <see cref="HttpClient.Timeout"/> should be
    /// <see cref="Timeout.InfiniteTimeSpan"/>: <see cref="OpenAiCompatibleOptions.RequestTimeout"/> governs).
    /// </summary>
    /// <param name="httpClient">Sends the requests; not disposed by this client.</param>
    /// <param name="options">Where and how to call; validated here.</param>
    /// <param name="logger">Where retries and completions are reported.</param>
    /// <param name="settingsPath">How error messages name the settings, e.g. <c>Agents:Llm:Providers:default</c>.</param>
    /// <exception cref="InvalidOperationException">The options are invalid; the message names each bad field.</exception>
    public OpenAiCompatibleChatClient(HttpClient httpClient, OpenAiCompatibleOptions options, ILogger<OpenAiCompatibleChatClient>? logger = null, string? settingsPath = null)
        : this(SourceOf(httpClient), options, logger, settingsPath ?? nameof(OpenAiCompatibleOptions))
    {
    }

    internal OpenAiCompatibleChatClient(Func<HttpClient> httpClientSource, OpenAiCompatibleOptions options, ILogger? logger, string settingsPath)
    {
        ArgumentNullException.ThrowIfNull(httpClientSource);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(settingsPath);
        _httpClientSource = httpClientSource;
        _options = options;
        _settingsPath = settingsPath;
        _logger = logger ?? NullLogger.Instance;
        Endpoint = ChatCompletionsEndpoint(options.BaseUrl);
        _endpointName = Endpoint.GetLeftPart(UriPartial.Path);
        _metadata = new ChatClientMetadata("openai-compatible", options.BaseUrl, options.Model);
    }

    /// <summary>The URL requests are posted to: <see cref="OpenAiCompatibleOptions.BaseUrl"/> plus <c>/chat/completions</c> unless it already ends so.</summary>
    public Uri Endpoint { get; }

    /// <summary>The model asked for when <see cref="ChatOptions.ModelId"/> is not set.</summary>
    public string Model => _options.Model;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var body = OpenAiWire.WriteRequest(messages, options, _options.Model, stream: false);
        var apiKey = ResolveApiKey();
        var clock = Stopwatch.StartNew();
        using var exchange = await SendAsync(body, apiKey, stream: false, cancellationToken);
        var response = ReadCompletion(await ReadBodyAsync(exchange, cancellationToken), apiKey);
        LogCompleted(_logger, _endpointName, (long)clock.Elapsed.TotalMilliseconds, response.FinishReason?.Value, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount);
        return response;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var body = OpenAiWire.WriteRequest(messages, options, _options.Model, stream: true);
        var apiKey = ResolveApiKey();
        var clock = Stopwatch.StartNew();
        using var exchange = await SendAsync(body, apiKey, stream: true, cancellationToken);
        if (exchange.Response.Content.Headers.ContentType?.MediaType is not "text/event-stream")
        {
            // The server ignored "stream": true and answered with one completion.
            var whole = ReadCompletion(await ReadBodyAsync(exchange, cancellationToken), apiKey);
            foreach (var update in whole.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        using var reader = new StreamReader(await OpenStreamAsync(exchange, cancellationToken), Encoding.UTF8);
        var state = new OpenAiWire.StreamState();
        while (await NextEventAsync(reader, exchange, cancellationToken) is { } data)
        {
            if (ApplyChunk(state, data, apiKey) is { } update)
            {
                yield return update;
            }
        }

        if (CompleteStream(state) is { } last)
        {
            yield return last;
        }

        LogCompleted(_logger, _endpointName, (long)clock.Elapsed.TotalMilliseconds, state.FinishReason?.Value, state.Usage?.InputTokenCount, state.Usage?.OutputTokenCount);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ChatClientMetadata) ? _metadata : serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Nothing to release: the <see cref="HttpClient"/> belongs to whoever supplied it.</summary>
    public void Dispose()
    {
    }

    /// <summary>The chat-completions URL for a base URL (see <see cref="OpenAiCompatibleOptions.BaseUrl"/>); the query is kept.</summary>
    internal static Uri ChatCompletionsEndpoint(Uri baseUrl)
    {
        var path = baseUrl.AbsolutePath;
        if (path.EndsWith("/chat/completions", StringComparison.OrdinalIgnoreCase))
        {
            return baseUrl;
        }

        return new UriBuilder(baseUrl) { Path = path.TrimEnd('/') + "/chat/completions" }.Uri;
    }

    private static Func<HttpClient> SourceOf(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        return () => httpClient;
    }

    private string? ResolveApiKey()
    {
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            return _options.ApiKey;
        }

        if (_options.ApiKeyEnvironmentVariable is not { } variable)
        {
            return null;
        }

        var key = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new LlmException(
                $"The API key for {_endpointName} is read from the environment variable '{variable}' ({_settingsPath}:ApiKeyEnvironmentVariable), which is not set or empty.")
            {
                IsTransient = false,
            };
        }

        return key.Trim();
    }

    // ---- sending ------------------------------------------------------------------------------------------

    /// <summary>Sends with retries until a 2xx answer (returned, with its still-running timeout) or a final failure (thrown).</summary>
    private async Task<Exchange> SendAsync(byte[] body, string? apiKey, bool stream, CancellationToken cancellationToken)
    {
        var attempts = _options.MaxRetries + 1;
        for (var attempt = 1; ; attempt++)
        {
            var http = _httpClientSource();
            var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var handedOver = false;
            try
            {
                timeout.CancelAfter(_options.RequestTimeout);
                HttpResponseMessage response;
                try
                {
                    using var request = NewRequest(body, apiKey);
                    response = await http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, timeout.Token);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw TimeoutError(e, timeout.IsCancellationRequested, http.Timeout, streaming: false);
                }
                catch (HttpRequestException e)
                {
                    if (attempt < attempts)
                    {
                        var delay = Backoff(attempt);
                        LogUnreachable(_logger, _endpointName, attempt, attempts, (long)delay.TotalMilliseconds, e);
                        await Task.Delay(delay, cancellationToken);
                        continue;
                    }

                    throw new LlmException($"The LLM at {_endpointName} could not be reached ({Attempts(attempt)}): {Redact(e.Message, apiKey)}", e);
                }

                if (response.IsSuccessStatusCode)
                {
                    handedOver = true;
                    return new Exchange(response, timeout, http.Timeout);
                }

                using (response)
                {
                    var status = response.StatusCode;
                    var retryAfter = RetryAfter(response);
                    var errorBody = await ReadErrorBodyAsync(response, timeout.Token, cancellationToken);
                    var retryable = status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
                    if (retryable && attempt < attempts && (retryAfter ?? TimeSpan.Zero) <= MaxHonouredRetryAfter)
                    {
                        var delay = retryAfter ?? Backoff(attempt);
                        LogRetrying(_logger, _endpointName, (int)status, attempt, attempts, (long)delay.TotalMilliseconds);
                        await Task.Delay(delay, cancellationToken);
                        continue;
                    }

                    throw HttpError(status, errorBody, apiKey, attempt, retryable ? retryAfter : null);
                }
            }
            finally
            {
                if (!handedOver)
                {
                    timeout.Dispose();
                }
            }
        }
    }

    private HttpRequestMessage NewRequest(byte[] body, string? apiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        if (apiKey is not null)
        {
            if (_options.UseAzureApiKeyHeader)
            {
                request.Headers.TryAddWithoutValidation("api-key", apiKey);
            }
            else
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            }
        }

        return request;
    }

    private static TimeSpan Backoff(int attempt)
    {
        var delay = FirstBackoff * Math.Pow(2, attempt - 1);
        return delay > MaxBackoff ? MaxBackoff : delay;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0 && milliseconds < int.MaxValue)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStringAsync(timeout);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return "";
        }
    }

    // ---- reading ------------------------------------------------------------------------------------------

    private async Task<string> ReadBodyAsync(Exchange exchange, CancellationToken cancellationToken)
    {
        try
        {
            return await exchange.Response.Content.ReadAsStringAsync(exchange.Timeout.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimeoutError(e, exchange.Timeout.IsCancellationRequested, exchange.ClientTimeout, streaming: false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new LlmException($"The connection to the LLM at {_endpointName} broke while reading its answer: {e.Message}", e);
        }
    }

    private ChatResponse ReadCompletion(string body, string? apiKey)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return OpenAiWire.ReadResponse(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new LlmException($"The LLM at {_endpointName} answered with something that is not a chat completion ({e.Message}): {Quote(body, apiKey)}", e);
        }
    }

    private async Task<Stream> OpenStreamAsync(Exchange exchange, CancellationToken cancellationToken)
    {
        try
        {
            return await exchange.Response.Content.ReadAsStreamAsync(exchange.Timeout.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimeoutError(e, exchange.Timeout.IsCancellationRequested, exchange.ClientTimeout, streaming: true);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new LlmException($"The stream from the LLM at {_endpointName} broke: {e.Message}", e);
        }
    }

    /// <summary>The data of the next server-sent event, or null at <c>[DONE]</c> or the end of the stream.</summary>
    private async Task<string?> NextEventAsync(StreamReader reader, Exchange exchange, CancellationToken cancellationToken)
    {
        exchange.Timeout.CancelAfter(_options.RequestTimeout);
        var data = new StringBuilder();
        try
        {
            while (true)
            {
                var line = await reader.ReadLineAsync(exchange.Timeout.Token);
                if (line is null || line.Length == 0)
                {
                    if (line is not null && data.Length == 0)
                    {
                        continue;
                    }

                    var payload = data.ToString();
                    return payload.Length == 0 || payload == "[DONE]" ? null : payload;
                }

                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    var value = line.AsSpan(5);
                    if (value.Length > 0 && value[0] == ' ')
                    {
                        value = value[1..];
                    }

                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                }

                // Other fields (event:, id:, retry:) and comments (":...") carry nothing for chat completions.
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimeoutError(e, exchange.Timeout.IsCancellationRequested, exchange.ClientTimeout, streaming: true);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new LlmException($"The stream from the LLM at {_endpointName} broke: {e.Message}", e);
        }
    }

    private ChatResponseUpdate? ApplyChunk(OpenAiWire.StreamState state, string data, string? apiKey)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            if (OpenAiWire.IsError(document.RootElement))
            {
                throw new LlmException($"The LLM at {_endpointName} reported an error in the middle of its stream: {Redact(OpenAiWire.ErrorMessage(document.RootElement) ?? data, apiKey)}");
            }

            return state.Apply(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new LlmException($"The LLM at {_endpointName} streamed an event that is not JSON ({e.Message}): {Quote(data, apiKey)}", e);
        }
        catch (FormatException e)
        {
            throw new LlmException($"The LLM at {_endpointName} streamed an event that is not a chat completion chunk ({e.Message}): {Quote(data, apiKey)}", e);
        }
    }

    private ChatResponseUpdate? CompleteStream(OpenAiWire.StreamState state)
    {
        try
        {
            return state.Complete();
        }
        catch (FormatException e)
        {
            throw new LlmException($"The LLM at {_endpointName} streamed a malformed tool call: {e.Message}", e);
        }
    }

    // ---- errors -------------------------------------------------------------------------------------------

    private LlmException TimeoutError(OperationCanceledException e, bool ourTimeout, TimeSpan clientTimeout, bool streaming)
    {
        if (!ourTimeout && clientTimeout != Timeout.InfiniteTimeSpan && clientTimeout < _options.RequestTimeout)
        {
            return new LlmException(
                $"The request to the LLM at {_endpointName} was cut off by HttpClient.Timeout ({Seconds(clientTimeout)}), which is shorter than " +
                $"{_settingsPath}:RequestTimeout ({Seconds(_options.RequestTimeout)}). Give the HttpClient an infinite Timeout and let RequestTimeout govern.",
                e);
        }

        var what = streaming ? "sent nothing for" : "did not answer within";
        return new LlmException(
            $"The LLM at {_endpointName} {what} {Seconds(_options.RequestTimeout)} (the request timeout). LLMs can be slow: if this model needs longer, " +
            $"raise {_settingsPath}:RequestTimeout (seconds, or a time span such as 00:05:00).",
            e);
    }

    private LlmException HttpError(HttpStatusCode status, string body, string? apiKey, int attempt, TimeSpan? unhonouredRetryAfter)
    {
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"The LLM at {_endpointName} answered HTTP {(int)status}");
        if (Enum.IsDefined(status))
        {
            message.Append(CultureInfo.InvariantCulture, $" {status}");
        }

        if (attempt > 1)
        {
            message.Append(CultureInfo.InvariantCulture, $" ({Attempts(attempt)})");
        }

        message.Append(": ").Append(ServerMessage(body, apiKey));
        if (unhonouredRetryAfter is { } wait && wait > MaxHonouredRetryAfter)
        {
            message.Append(CultureInfo.InvariantCulture, $" The server asked to retry after {Seconds(wait)}, longer than the {Seconds(MaxHonouredRetryAfter)} this client waits.");
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            message.Append(
                _options.ApiKey is not null ? " Check the API key given in the options."
                : _options.ApiKeyEnvironmentVariable is { } variable ? $" Check the key in the environment variable '{variable}' ({_settingsPath}:ApiKeyEnvironmentVariable)."
                : $" No API key was sent: name the environment variable that holds it in {_settingsPath}:ApiKeyEnvironmentVariable.");
        }
        else if (status == HttpStatusCode.NotFound)
        {
            message.Append(CultureInfo.InvariantCulture, $" Check {_settingsPath}:BaseUrl and {_settingsPath}:Model ('{_options.Model}').");
        }

        return new LlmException(message.ToString(), status);
    }

    private static string ServerMessage(string body, string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "(the body is empty)";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (OpenAiWire.ErrorMessage(document.RootElement) is { } message)
            {
                return Quote(message, apiKey);
            }
        }
        catch (JsonException)
        {
            // not JSON: quote the text
        }

        return Quote(body, apiKey);
    }

    private static string Quote(string text, string? apiKey)
    {
        var redacted = Redact(text.Trim(), apiKey);
        return redacted.Length <= MaxQuotedLength ? redacted : string.Concat(redacted.AsSpan(0, MaxQuotedLength), "…");
    }

    private static string Redact(string text, string? apiKey) =>
        string.IsNullOrEmpty(apiKey) ? text : text.Replace(apiKey, "***", StringComparison.Ordinal);

    private static string Attempts(int attempts) => attempts == 1 ? "1 attempt" : $"after {attempts} attempts";

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>A 2xx response and the timeout that still bounds reading it.</summary>
    private sealed class Exchange(HttpResponseMessage response, CancellationTokenSource timeout, TimeSpan clientTimeout) : IDisposable
    {
        public HttpResponseMessage Response { get; } = response;

        public CancellationTokenSource Timeout { get; } = timeout;

        public TimeSpan ClientTimeout { get; } = clientTimeout;

        public void Dispose()
        {
            Response.Dispose();
            Timeout.Dispose();
        }
    }

    [LoggerMessage(7101, LogLevel.Warning, "The LLM at {Endpoint} answered {StatusCode} (attempt {Attempt} of {Attempts}); retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, string endpoint, int statusCode, int attempt, int attempts, long delayMs);

    [LoggerMessage(7102, LogLevel.Warning, "The LLM at {Endpoint} could not be reached (attempt {Attempt} of {Attempts}); retrying in {DelayMs} ms")]
    private static partial void LogUnreachable(ILogger logger, string endpoint, int attempt, int attempts, long delayMs, Exception exception);

    [LoggerMessage(7103, LogLevel.Debug, "The LLM at {Endpoint} answered in {ElapsedMs} ms (finish {FinishReason}, {InputTokens} input and {OutputTokens} output tokens)")]
    private static partial void LogCompleted(ILogger logger, string endpoint, long elapsedMs, string? finishReason, long? inputTokens, long? outputTokens);
}
