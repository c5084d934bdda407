using System.Reflection;
using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Testing;

/// <summary>
/// Builds an in-process test cluster: a real silo in a generic host, configured like a production
/// one, with captured logs. (Several silos per test cluster arrive with the cluster issue.)
/// </summary>
public sealed class TestClusterBuilder
{
    private readonly List<Action<ISiloBuilder>> _siloConfigurators = [];
    private readonly List<Action<IServiceCollection>> _serviceConfigurators = [];
    private readonly Dictionary<string, string?> _configuration = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Assembly> _grainAssemblies = [];

    /// <summary>Configures the silo, as inside <c>UseAgentsSilo</c>.</summary>
    public TestClusterBuilder ConfigureSilo(Action<ISiloBuilder> configure)
    {
        _siloConfigurators.Add(configure);
        return this;
    }

    /// <summary>Adds or replaces services of the silo's host.</summary>
    public TestClusterBuilder ConfigureServices(Action<IServiceCollection> configure)
    {
        _serviceConfigurators.Add(configure);
        return this;
    }

    /// <summary>Sets a configuration value, e.g. <c>("Agents:Storage:Default:Provider", "Memory")</c>.</summary>
    public TestClusterBuilder WithConfiguration(string key, string? value)
    {
        _configuration[key] = value;
        return this;
    }

    /// <summary>Uses <paramref name="timeProvider"/> for every timer and clock in the silo.</summary>
    public TestClusterBuilder WithTimeProvider(TimeProvider timeProvider) =>
        ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton(timeProvider)));

    /// <summary>Adds an assembly with grains (the calling test assembly is found automatically).</summary>
    public TestClusterBuilder AddGrainAssembly(Assembly assembly)
    {
        _grainAssemblies.Add(assembly);
        return this;
    }

    public TestCluster Build() => new(this);

    internal IHost BuildHost(CapturedLogs logs)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(_configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.UseAgentsSilo(silo =>
        {
            silo.UseLocalhostClustering();
            foreach (var assembly in _grainAssemblies)
            {
                silo.AddGrainAssembly(assembly);
            }

            foreach (var configure in _siloConfigurators)
            {
                configure(silo);
            }
        });
        foreach (var configure in _serviceConfigurators)
        {
            configure(builder.Services);
        }

        return builder.Build();
    }
}

/// <summary>A running in-process silo for tests. Dispose to shut it down gracefully.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterBuilder _builder;
    private IHost? _host;

    internal TestCluster(TestClusterBuilder builder) => _builder = builder;

    /// <summary>Everything the silo logged.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>The in-process client, for calling grains from the test.</summary>
    public IClusterClient Client => Services.GetRequiredService<IClusterClient>();

    public IGrainFactory GrainFactory => Client;

    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The test cluster is not running; call DeployAsync first.")).Services;

    /// <summary>Live activations on the silo.</summary>
    public int ActivationCount => Catalog.ActivationCount;

    internal GrainCatalog Catalog => Services.GetRequiredService<SiloRuntime>().Catalog;

    /// <summary>Starts the silo.</summary>
    public async Task DeployAsync(CancellationToken cancellationToken = default)
    {
        if (_host is not null)
        {
            throw new InvalidOperationException("The test cluster is already running.");
        }

        var host = _builder.BuildHost(Logs);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            // A host that failed to start cannot be stopped, only disposed.
            await ((IAsyncDisposable)host).DisposeAsync();
            throw;
        }

        _host = host;
    }

    /// <summary>Shuts the silo down gracefully: every grain deactivates first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_host is null)
        {
            return;
        }

        var host = _host;
        _host = null;
        try
        {
            await host.StopAsync(cancellationToken);
        }
        finally
        {
            // Providers such as SQLite flush on DisposeAsync; a synchronous Dispose would skip that.
            await ((IAsyncDisposable)host).DisposeAsync();
        }
    }

    /// <summary>Stops the silo and starts a new one with the same configuration (state in durable storage survives).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        await DeployAsync(cancellationToken);
    }

    /// <summary>Whether <paramref name="grainId"/> has an activation on the silo.</summary>
    public bool IsActive(GrainId grainId) => Catalog.FindActivation(grainId) is not null;

    public async ValueTask DisposeAsync() => await StopAsync();
}
