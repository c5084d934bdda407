using System.Globalization;
using System.Text;

namespace Agents.Llm;

/// <summary>
/// Settings of an <see cref="OpenAiCompatibleChatClient"/>: where the OpenAI-style chat-completions
/// endpoint is, which model to ask for and how to authenticate.
/// </summary>
/// <remarks>
/// <para><see cref="BaseUrl"/> is either the API root (<c>https://api.openai.com/v1</c>,
/// <c>http://localhost:11434/v1</c> for Ollama, <c>http://host:8000/v1</c> for vLLM), to which
/// <c>/chat/completions</c> is appended, or the full endpoint URL when its path already ends in
/// <c>/chat/completions</c> (Azure OpenAI:
/// <c>https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21</c>);
/// the query string is kept either way.</para>
/// <para>The key is <see cref="ApiKey"/> when set (meant for tests), otherwise the value of the
/// environment variable <see cref="ApiKeyEnvironmentVariable"/> read at each call (so a rotated key
/// is picked up without a restart), otherwise none (Ollama and vLLM need none). It goes in
/// <c>Authorization: Bearer</c>, or in an <c>api-key</c> header when <see cref="UseAzureApiKeyHeader"/>.
/// <see cref="ToString"/> never prints the key.</para>
/// </remarks>
public sealed record OpenAiCompatibleOptions
{
    /// <summary>The default <see cref="RequestTimeout"/>: LLMs are slow, two minutes is a common worst case for a long answer.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The default <see cref="MaxRetries"/>.</summary>
    public const int DefaultMaxRetries = 2;

    /// <summary>The longest <see cref="RequestTimeout"/> accepted.</summary>
    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromHours(24);

    /// <summary>The most retries accepted.</summary>
    public const int MaxMaxRetries = 10;

    /// <summary>The API root or the full chat-completions endpoint URL (absolute, http or https).</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The model (OpenAI, Ollama, vLLM) or deployment (Azure) name; <see cref="Microsoft.Extensions.AI.ChatOptions.ModelId"/> overrides it per call.</summary>
    public required string Model { get; init; }

    /// <summary>The environment variable that holds the API key, read at each call. Null: no key (unless <see cref="ApiKey"/>).</summary>
    public string? ApiKeyEnvironmentVariable { get; init; }

    /// <summary>The API key itself. Meant for tests; configuration names an environment variable instead.</summary>
    public string? ApiKey { get; init; }

    /// <summary>How long one attempt may take (for streaming: until the headers, then between two chunks).</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>How many times a request that failed with 429, a 5xx status or a network error is retried.</summary>
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>Send the key in an <c>api-key</c> header (Azure OpenAI key authentication) instead of <c>Authorization: Bearer</c>.</summary>
    public bool UseAzureApiKeyHeader { get; init; }

    /// <summary>
    /// The problems with these settings, each naming its field as <c>{path}:{Field}</c> (for example
    /// <c>Agents:Llm:Providers:default:BaseUrl is not an absolute http(s) URL ('localhost:11434')</c>);
    /// empty when they are valid.
    /// </summary>
    public IReadOnlyList<string> Validate(string path = nameof(OpenAiCompatibleOptions))
    {
        var errors = new List<string>();
        if (BaseUrl is null)
        {
            errors.Add($"{path}:BaseUrl is required (the API root, e.g. http://localhost:11434/v1, or the full chat-completions URL)");
        }
        else if (!BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{path}:BaseUrl is not an absolute http(s) URL ('{BaseUrl.OriginalString}')");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            errors.Add($"{path}:Model is required (the model name the server serves, or the Azure deployment name)");
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > MaxRequestTimeout)
        {
            errors.Add($"{path}:RequestTimeout must be more than zero and at most {MaxRequestTimeout} (it is {RequestTimeout.ToString("c", CultureInfo.InvariantCulture)})");
        }

        if (MaxRetries is < 0 or > MaxMaxRetries)
        {
            errors.Add($"{path}:MaxRetries must be between 0 and {MaxMaxRetries} (it is {MaxRetries})");
        }

        if (ApiKeyEnvironmentVariable is not null && (string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) || ApiKeyEnvironmentVariable.Contains('=', StringComparison.Ordinal)))
        {
            errors.Add($"{path}:ApiKeyEnvironmentVariable must be the name of an environment variable ('{ApiKeyEnvironmentVariable}' is not)");
        }

        if (UseAzureApiKeyHeader && ApiKey is null && ApiKeyEnvironmentVariable is null)
        {
            errors.Add($"{path}:UseAzureApiKeyHeader is set but there is no key: set {path}:ApiKeyEnvironmentVariable");
        }

        return errors;
    }

    /// <summary>Throws an <see cref="InvalidOperationException"/> listing every problem <see cref="Validate"/> finds.</summary>
    public void ThrowIfInvalid(string path = nameof(OpenAiCompatibleOptions))
    {
        var errors = Validate(path);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid LLM provider settings: " + string.Join("; ", errors));
        }
    }

    // Records print every property; the key must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"BaseUrl = {BaseUrl}, Model = {Model}, ApiKeyEnvironmentVariable = {ApiKeyEnvironmentVariable}, ");
        builder.Append(CultureInfo.InvariantCulture, $"ApiKey = {(ApiKey is null ? "(none)" : "***")}, RequestTimeout = {RequestTimeout}, MaxRetries = {MaxRetries}, UseAzureApiKeyHeader = {UseAzureApiKeyHeader}");
        return true;
    }
}
