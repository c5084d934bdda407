using System.Reflection;
using Agents.Runtime.Catalog;
using Agents.Runtime.Hosting;
using Agents.Runtime.Membership;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Testing;

/// <summary>
/// Builds an in-process test cluster: real silos in generic hosts, configured like production ones,
/// with captured logs. One silo (the default) runs localhost clustering; with <see cref="WithSilos"/>
/// above one, the silos form a real cluster over loopback TCP, sharing an in-memory membership table.
/// Every silo shares one in-memory reminder table.
/// </summary>
public sealed class TestClusterBuilder
{
    private int _initialSilos = 1;
    private bool _clustered;

    /// <summary>How many silos <see cref="TestCluster.DeployAsync"/> starts; more than one makes a cluster over loopback TCP.</summary>
    public TestClusterBuilder WithSilos(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _initialSilos = count;
        _clustered |= count > 1;
        return this;
    }

    /// <summary>Runs even a single silo as a cluster member (membership table, wire, gateway), so silos can be added later.</summary>
    public TestClusterBuilder AsCluster()
    {
        _clustered = true;
        return this;
    }

    /// <summary>
    /// Membership timings suited to tests (dead silos declared within about two seconds on loopback),
    /// unless configuration sets them.
    /// </summary>
    public TestClusterBuilder WithFastFailureDetection() =>
        WithConfiguration("Agents:Membership:ProbePeriod", "00:00:00.250")
        .WithConfiguration("Agents:Membership:ProbeTimeout", "00:00:00.250")
        .WithConfiguration("Agents:Membership:TableRefreshPeriod", "00:00:00.200")
        .WithConfiguration("Agents:Membership:IAmAlivePeriod", "00:00:00.500");

    internal int InitialSilos => _initialSilos;

    internal bool Clustered => _clustered;
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

    internal IHost BuildHost(CapturedLogs logs, InMemoryMembershipTable? table = null, string? siloName = null, Reminders.InMemoryReminderTable? reminders = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        if (table is not null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Agents:Networking:SiloPort"] = "0",
                ["Agents:Networking:GatewayPort"] = "0",
                ["Agents:Silo:SiloName"] = siloName,
            });
        }

        builder.Configuration.AddInMemoryCollection(_configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.UseAgentsSilo(silo =>
        {
            silo.UseLocalhostClustering();
            if (table is not null)
            {
                silo.UseClustering(_ => table);
            }

            // The silos share one reminder table, as a cluster's silos share one database; a provider
            // set in configuration (a test of the Sqlite or Postgres tables) is used instead.
            if (reminders is not null && string.IsNullOrEmpty(builder.Configuration["Agents:Reminders:Provider"]))
            {
                silo.UseReminders(_ => reminders);
            }

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

