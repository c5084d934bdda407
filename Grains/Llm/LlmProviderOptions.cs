/*
 * Configuration of the LLM providers, section Agents:Llm:
 *
 *   Agents:Llm:DefaultProvider                         the provider Get(null) returns; "default" when absent
 *   Agents:Llm:Providers:{name}:Kind                   OpenAICompatible (when absent) | Offline  (case-insensitive; "openai-compatible" too)
 *   Agents:Llm:Providers:{name}:BaseUrl                API root or full chat-completions URL (OpenAICompatible: required)
 *   Agents:Llm:Providers:{name}:Model                  model or Azure deployment name (OpenAICompatible: required)
 *   Agents:Llm:Providers:{name}:ApiKeyEnvironmentVariable   the environment variable holding the key; absent: no key
 *   Agents:Llm:Providers:{name}:RequestTimeout         seconds ("120", "2.5") or a time span ("00:02:00"); 120 s when absent
 *   Agents:Llm:Providers:{name}:MaxRetries             0..10; 2 when absent
 *   Agents:Llm:Providers:{name}:UseAzureApiKeyHeader   true: send the key as "api-key" (Azure OpenAI key auth)
 *
 * Invariants:
 * - No providers configured -> exactly one provider, "default", the offline model. Configured providers replace it entirely.
 * - Provider names are case-insensitive (as configuration keys are).
 * - Every problem is reported at once, each naming its full key (e.g. "Agents:Llm:Providers:default:BaseUrl is not an absolute
 *   http(s) URL ('localhost')"); unknown keys inside a provider are errors (typos must not silently fall back to defaults), and
 *   an "ApiKey" key is refused: keys live in environment variables, not in configuration files.
 * - Settings of an Offline provider other than Kind are ignored, so a provider can be switched off by changing Kind alone.
 * - DefaultProvider must name a provider.
 */
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Agents.Llm;

/// <summary>The kinds of LLM provider.</summary>
public enum LlmProviderKind
{
    /// <summary>A server speaking OpenAI Chat Completions: OpenAI, Azure OpenAI, Ollama, vLLM (<see cref="OpenAiCompatibleChatClient"/>).</summary>
    OpenAICompatible,

    /// <summary>The deterministic local stand-in (<see cref="OfflineChatClient"/>).</summary>
    Offline,
}

/// <summary>The settings of one configured provider, <c>Agents:Llm:Providers:{name}</c>.</summary>
public sealed record LlmProviderSettings
{
    /// <summary>The offline model, which is what "default" is when no provider is configured.</summary>
    public static LlmProviderSettings Offline { get; } = new() { Kind = LlmProviderKind.Offline };

    public LlmProviderKind Kind { get; init; } = LlmProviderKind.OpenAICompatible;

    public Uri? BaseUrl { get; init; }

    public string? Model { get; init; }

    public string? ApiKeyEnvironmentVariable { get; init; }

    public TimeSpan RequestTimeout { get; init; } = OpenAiCompatibleOptions.DefaultRequestTimeout;

    public int MaxRetries { get; init; } = OpenAiCompatibleOptions.DefaultMaxRetries;

    public bool UseAzureApiKeyHeader { get; init; }

    /// <summary>These settings as client options (for <see cref="LlmProviderKind.OpenAICompatible"/>; validate them before use).</summary>
    public OpenAiCompatibleOptions ToOpenAiCompatibleOptions() => new()
    {
        BaseUrl = BaseUrl!,
        Model = Model!,
        ApiKeyEnvironmentVariable = ApiKeyEnvironmentVariable,
        RequestTimeout = RequestTimeout,
        MaxRetries = MaxRetries,
        UseAzureApiKeyHeader = UseAzureApiKeyHeader,
    };
}

/// <summary>The LLM providers of a deployment: configuration section <c>Agents:Llm</c> (see <see cref="FromConfiguration"/>).</summary>
public sealed class LlmProviderOptions
{
    public const string SectionName = "Agents:Llm";

    /// <summary>The name of the provider used when none is named, unless <see cref="DefaultProvider"/> says otherwise.</summary>
    public const string DefaultProviderName = "default";

    private static readonly string[] SettingNames =
        ["Kind", "BaseUrl", "Model", "ApiKeyEnvironmentVariable", "RequestTimeout", "MaxRetries", "UseAzureApiKeyHeader"];

    /// <summary>The provider <see cref="ILlmProviders.Get"/> returns for a null name.</summary>
    public string DefaultProvider { get; init; } = DefaultProviderName;

    /// <summary>The configured providers by name (case-insensitive). Empty: the offline model is "default".</summary>
    public IReadOnlyDictionary<string, LlmProviderSettings> Providers { get; init; } = new Dictionary<string, LlmProviderSettings>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The providers in effect: <see cref="Providers"/>, or only an offline "default" when there are none.</summary>
    public IReadOnlyDictionary<string, LlmProviderSettings> EffectiveProviders => Providers.Count > 0
        ? Providers
        : new Dictionary<string, LlmProviderSettings>(StringComparer.OrdinalIgnoreCase) { [DefaultProviderName] = LlmProviderSettings.Offline };

    /// <summary>
    /// Reads section <c>Agents:Llm</c> of <paramref name="configuration"/> (the root configuration).
    /// </summary>
    /// <exception cref="InvalidOperationException">The section is invalid; the message lists every problem by its configuration key.</exception>
    public static LlmProviderOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var errors = new List<string>();
        var skip = new List<string>();

        var defaultProvider = section["DefaultProvider"];
        if (defaultProvider is not null && string.IsNullOrWhiteSpace(defaultProvider))
        {
            errors.Add($"{SectionName}:DefaultProvider is empty: name a provider, or remove the key to use '{DefaultProviderName}'");
        }

        var providers = new Dictionary<string, LlmProviderSettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in section.GetSection("Providers").GetChildren())
        {
            providers[provider.Key] = ReadProvider(provider, $"{SectionName}:Providers:{provider.Key}", errors, skip);
        }

        var options = new LlmProviderOptions
        {
            DefaultProvider = string.IsNullOrWhiteSpace(defaultProvider) ? DefaultProviderName : defaultProvider.Trim(),
            Providers = providers,
        };

        // A field that could not be read is reported once, by the reader, not again as missing; nor is anything else of a
        // provider whose Kind could not be read (its other settings cannot be judged).
        errors.AddRange(options.Validate().Where(e => !skip.Any(prefix => e.StartsWith(prefix, StringComparison.Ordinal))));
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid LLM configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors));
        }

        return options;
    }

    /// <summary>The problems with these options, each naming its configuration key; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var providers = EffectiveProviders;
        foreach (var (name, settings) in providers)
        {
            if (settings.Kind == LlmProviderKind.OpenAICompatible)
            {
                errors.AddRange(settings.ToOpenAiCompatibleOptions().Validate($"{SectionName}:Providers:{name}"));
            }
        }

        if (!providers.ContainsKey(DefaultProvider))
        {
            errors.Add(
                $"{SectionName}:DefaultProvider is '{DefaultProvider}', but there is no provider of that name (configured: {string.Join(", ", providers.Keys.Order(StringComparer.OrdinalIgnoreCase))}). " +
                $"Name one of them in {SectionName}:DefaultProvider, or configure {SectionName}:Providers:{DefaultProvider}.");
        }

        return errors;
    }

    private static LlmProviderSettings ReadProvider(IConfigurationSection section, string path, List<string> errors, List<string> skip)
    {
        var settings = new LlmProviderSettings();
        if (!section.GetChildren().Any())
        {
            errors.Add($"{path} has no settings: give it at least Kind (OpenAICompatible or Offline)");
            return settings;
        }

        foreach (var child in section.GetChildren())
        {
            if (string.Equals(child.Key, "ApiKey", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{path}:ApiKey is not read: keys do not belong in configuration. Put the key in an environment variable and name it in {path}:ApiKeyEnvironmentVariable");
            }
            else if (!SettingNames.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{path}:{child.Key} is not a provider setting (the settings are {string.Join(", ", SettingNames)})");
            }
        }

        void Bad(string field, string message)
        {
            skip.Add(field == "Kind" ? $"{path}:" : $"{path}:{field} ");
            errors.Add($"{path}:{field} {message}");
        }

        if (section["Kind"] is { } kind)
        {
            var normalized = kind.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim();
            if (Enum.TryParse<LlmProviderKind>(normalized, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !normalized.All(char.IsAsciiDigit))
            {
                settings = settings with { Kind = parsed };
            }
            else
            {
                Bad("Kind", $"'{kind}' is not one of {string.Join(", ", Enum.GetNames<LlmProviderKind>())}");
            }
        }

        if (section["BaseUrl"] is { } baseUrl)
        {
            if (Uri.TryCreate(baseUrl.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                settings = settings with { BaseUrl = uri };
            }
            else
            {
                Bad("BaseUrl", $"is not an absolute http(s) URL ('{baseUrl}')");
            }
        }

        settings = settings with
        {
            Model = string.IsNullOrWhiteSpace(section["Model"]) ? null : section["Model"]!.Trim(),
            ApiKeyEnvironmentVariable = section["ApiKeyEnvironmentVariable"] is { } variable ? variable.Trim() : null,
        };

        if (section["RequestTimeout"] is { } timeout)
        {
            if (TryParseDuration(timeout, out var duration))
            {
                settings = settings with { RequestTimeout = duration };
            }
            else
            {
                Bad("RequestTimeout", $"'{timeout}' is neither a number of seconds (120) nor a time span (00:02:00)");
            }
        }

        if (section["MaxRetries"] is { } retries)
        {
            if (int.TryParse(retries, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
            {
                settings = settings with { MaxRetries = count };
            }
            else
            {
                Bad("MaxRetries", $"'{retries}' is not a whole number");
            }
        }

        if (section["UseAzureApiKeyHeader"] is { } azure)
        {
            if (bool.TryParse(azure, out var useAzure))
            {
                settings = settings with { UseAzureApiKeyHeader = useAzure };
            }
            else
            {
                Bad("UseAzureApiKeyHeader", $"'{azure}' is neither true nor false");
            }
        }

        return settings;
    }

    /// <summary>Seconds ("120", "2.5") or a time span ("00:02:00"). A bare number is seconds, never days as TimeSpan would read it.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            var valid = double.IsFinite(seconds) && Math.Abs(seconds) < TimeSpan.MaxValue.TotalSeconds;
            duration = valid ? TimeSpan.FromSeconds(seconds) : default;
            return valid;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && text.Contains(':', StringComparison.Ordinal);
    }
}
