using Agents.Llm;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.Llm;

public sealed class LlmProvidersTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _limit = new(TimeSpan.FromSeconds(30));
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _limit.Dispose();
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddAgentsLlm(configuration).BuildServiceProvider();
    }

    [Fact]
    public async Task Without_configuration_the_default_provider_is_the_offline_model()
    {
        using var services = Services([]);
        var providers = services.GetRequiredService<ILlmProviders>();

        Assert.Equal(["default"], providers.Names);
        Assert.Equal("default", providers.DefaultProvider);
        Assert.IsType<OfflineChatClient>(providers.Get(null));
        Assert.Same(providers.Get(null), providers.Get("default"));
        Assert.Equal("[offline model] You said: hi", (await providers.Get(null).GetResponseAsync("hi", cancellationToken: _limit.Token)).Text);
    }

    [Fact]
    public async Task Configured_providers_are_selected_by_name_and_the_OpenAI_one_talks_to_its_server()
    {
        var variable = "AGENTS_LLM_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "configured-key");
        try
        {
            using var services = Services(new()
            {
                ["Agents:Llm:DefaultProvider"] = "local",
                ["Agents:Llm:Providers:local:Kind"] = "OpenAICompatible",
                ["Agents:Llm:Providers:local:BaseUrl"] = _server.BaseUrl.ToString(),
                ["Agents:Llm:Providers:local:Model"] = "llama3.2",
                ["Agents:Llm:Providers:local:ApiKeyEnvironmentVariable"] = variable,
                ["Agents:Llm:Providers:local:RequestTimeout"] = "30",
                ["Agents:Llm:Providers:local:MaxRetries"] = "0",
                ["Agents:Llm:Providers:demo:Kind"] = "offline",
            });
            var providers = services.GetRequiredService<ILlmProviders>();
            _server.Respond = _ => FakeReply.Completion("from the server");

            var response = await providers.Get(null).GetResponseAsync("hi", cancellationToken: _limit.Token);

            Assert.Equal(["demo", "local"], providers.Names);
            Assert.Equal("from the server", response.Text);
            var request = Assert.Single(_server.Requests);
            Assert.Equal("llama3.2", request.Json.GetProperty("model").GetString());
            Assert.Equal("Bearer configured-key", request.Header("Authorization"));
            Assert.IsType<OpenAiCompatibleChatClient>(providers.Get("LOCAL"));
            Assert.IsType<OfflineChatClient>(providers.Get("demo"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void An_unknown_provider_is_a_clear_error_listing_the_configured_ones()
    {
        using var services = Services(new()
        {
            ["Agents:Llm:Providers:default:Kind"] = "Offline",
            ["Agents:Llm:Providers:cloud:BaseUrl"] = "https://api.openai.com/v1",
            ["Agents:Llm:Providers:cloud:Model"] = "gpt-4o-mini",
        });
        var providers = services.GetRequiredService<ILlmProviders>();

        var error = Assert.Throws<ArgumentException>(() => providers.Get("gpt"));

        Assert.Contains("no LLM provider named 'gpt'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Configured providers: cloud, default", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_configuration_problem_is_reported_by_its_key()
    {
        using var services = Services(new()
        {
            ["Agents:Llm:Providers:default:BaseUrl"] = "localhost:11434",
            ["Agents:Llm:Providers:default:ApiKey"] = "sk-do-not-put-keys-here",
            ["Agents:Llm:Providers:default:RequestTimeout"] = "soon",
            ["Agents:Llm:Providers:default:Modle"] = "llama3.2",
            ["Agents:Llm:Providers:other:Kind"] = "Ofline",
            ["Agents:Llm:Providers:other:BaseUrl"] = "nonsense",
        });

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<ILlmProviders>());

        Assert.Contains("Agents:Llm:Providers:default:BaseUrl is not an absolute http(s) URL ('localhost:11434')", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Llm:Providers:default:Model is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Llm:Providers:default:ApiKey is not read", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Llm:Providers:default:RequestTimeout 'soon'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Llm:Providers:default:Modle is not a provider setting", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Llm:Providers:other:Kind 'Ofline' is not one of OpenAICompatible, Offline", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-do-not-put-keys-here", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Message.Split("default:BaseUrl").Length); // reported once, not again as missing
    }

    [Fact]
    public void A_default_provider_that_is_not_configured_is_an_error()
    {
        using var services = Services(new()
        {
            ["Agents:Llm:Providers:openai:BaseUrl"] = "https://api.openai.com/v1",
            ["Agents:Llm:Providers:openai:Model"] = "gpt-4o-mini",
        });

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<ILlmProviders>());

        Assert.Contains("Agents:Llm:DefaultProvider is 'default', but there is no provider of that name (configured: openai)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_are_read_with_their_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agents:Llm:Providers:default:BaseUrl"] = "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
            ["Agents:Llm:Providers:default:Model"] = "d",
            ["Agents:Llm:Providers:default:ApiKeyEnvironmentVariable"] = "AZURE_OPENAI_API_KEY",
            ["Agents:Llm:Providers:default:UseAzureApiKeyHeader"] = "true",
            ["Agents:Llm:Providers:slow:Kind"] = "openai-compatible",
            ["Agents:Llm:Providers:slow:BaseUrl"] = "http://localhost:8000/v1",
            ["Agents:Llm:Providers:slow:Model"] = "Qwen/Qwen2.5-7B-Instruct",
            ["Agents:Llm:Providers:slow:RequestTimeout"] = "00:05:00",
            ["Agents:Llm:Providers:slow:MaxRetries"] = "5",
        }).Build();

        var options = LlmProviderOptions.FromConfiguration(configuration);

        var azure = options.Providers["default"];
        Assert.Equal(LlmProviderKind.OpenAICompatible, azure.Kind);
        Assert.True(azure.UseAzureApiKeyHeader);
        Assert.Equal(OpenAiCompatibleOptions.DefaultRequestTimeout, azure.RequestTimeout);
        Assert.Equal(OpenAiCompatibleOptions.DefaultMaxRetries, azure.MaxRetries);
        var slow = options.Providers["SLOW"];
        Assert.Equal(TimeSpan.FromMinutes(5), slow.RequestTimeout);
        Assert.Equal(5, slow.MaxRetries);
    }

    [Theory]
    [InlineData("120", 120.0)]
    [InlineData("2.5", 2.5)]
    [InlineData("00:02:00", 120.0)]
    [InlineData("1", 1.0)]
    public void A_duration_is_seconds_or_a_time_span_never_days(string text, double seconds)
    {
        Assert.True(LlmProviderOptions.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }
}
