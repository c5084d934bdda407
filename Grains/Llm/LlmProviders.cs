using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Llm;

/// <summary>The configured LLM providers (<c>Agents:Llm</c>), by name.</summary>
public interface ILlmProviders
{
    /// <summary>
    /// The model of provider <paramref name="providerName"/>; null or empty means <see cref="DefaultProvider"/>. The client does not
    /// run tools itself: wrap it in a <see cref="ToolCallingChatClient"/> (with the caller's round limit) for that. Clients are
    /// shared and thread-safe; do not dispose them.
    /// </summary>
    /// <exception cref="ArgumentException">No provider has that name; the message lists the configured ones.</exception>
    IChatClient Get(string? providerName);

    /// <summary>The names of the providers, in order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The provider a null name selects.</summary>
    string DefaultProvider { get; }
}

/// <summary>The clients of <see cref="LlmProviderOptions.EffectiveProviders"/>, built once.</summary>
internal sealed partial class LlmProviders : ILlmProviders, IDisposable
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of the client every OpenAI-compatible provider uses.</summary>
    public const string HttpClientName = "Agents.Llm";

    private readonly Dictionary<string, IChatClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public LlmProviders(LlmProviderOptions options, Func<HttpClient> httpClients, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClients);
        loggerFactory ??= NullLoggerFactory.Instance;
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid LLM configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors));
        }

        foreach (var (name, settings) in options.EffectiveProviders)
        {
            _clients[name] = settings.Kind switch
            {
                LlmProviderKind.Offline => new OfflineChatClient(),
                _ => new OpenAiCompatibleChatClient(
                    httpClients, settings.ToOpenAiCompatibleOptions(), loggerFactory.CreateLogger<OpenAiCompatibleChatClient>(), $"{LlmProviderOptions.SectionName}:Providers:{name}"),
            };
        }

        Names = [.. _clients.Keys.Order(StringComparer.OrdinalIgnoreCase)];
        DefaultProvider = options.DefaultProvider;
        var logger = loggerFactory.CreateLogger<LlmProviders>();
        foreach (var name in Names)
        {
            var metadata = _clients[name].GetService<ChatClientMetadata>();
            LogProvider(logger, name, metadata?.ProviderName, metadata?.DefaultModelId, metadata?.ProviderUri?.GetLeftPart(UriPartial.Path), string.Equals(name, DefaultProvider, StringComparison.OrdinalIgnoreCase));
        }
    }

    public IReadOnlyList<string> Names { get; }

    public string DefaultProvider { get; }

    public IChatClient Get(string? providerName)
    {
        var name = string.IsNullOrEmpty(providerName) ? DefaultProvider : providerName;
        if (_clients.TryGetValue(name, out var client))
        {
            return client;
        }

        throw new ArgumentException(
            $"There is no LLM provider named '{name}'. Configured providers: {string.Join(", ", Names)} (the default is '{DefaultProvider}'). " +
            $"Providers are configured under {LlmProviderOptions.SectionName}:Providers.",
            nameof(providerName));
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    [LoggerMessage(7120, LogLevel.Information, "LLM provider {Name}: {Kind} model {Model} at {Endpoint} (default: {IsDefault})")]
    private static partial void LogProvider(ILogger logger, string name, string? kind, string? model, string? endpoint, bool isDefault);
}

/// <summary>Registers the LLM providers.</summary>
public static class LlmServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ILlmProviders"/>, built from section <c>Agents:Llm</c> of <paramref name="configuration"/> (the root
    /// configuration) when first resolved, and the named <see cref="HttpClient"/> <c>Agents.Llm</c> its OpenAI-compatible providers
    /// use (with an infinite <see cref="HttpClient.Timeout"/>: each provider's RequestTimeout governs). Without configuration the
    /// only provider is "default", the offline model.
    /// </summary>
    /// <remarks>Resolving <see cref="ILlmProviders"/> throws <see cref="InvalidOperationException"/> listing every configuration problem.</remarks>
    public static IServiceCollection AddAgentsLlm(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHttpClient(LlmProviders.HttpClientName).ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<ILlmProviders>(provider =>
        {
            var httpClients = provider.GetRequiredService<IHttpClientFactory>();
            return new LlmProviders(
                LlmProviderOptions.FromConfiguration(configuration),
                () => httpClients.CreateClient(LlmProviders.HttpClientName),
                provider.GetService<ILoggerFactory>());
        });
        return services;
    }
}
