using Agents;
using Agents.Runtime.Core;
using Agents.Runtime.Hosting;
using Agents.Runtime.Networking;
using Agents.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Hosts a silo in a .NET generic host: <c>Host.CreateApplicationBuilder(args).UseAgentsSilo(silo => ...)</c>.</summary>
public static class AgentsHostingExtensions
{
    /// <summary>
    /// Adds a silo to the host. Configuration (<c>Agents:Silo</c>, <c>Agents:Clustering</c>,
    /// <c>Agents:Networking</c>, <c>Agents:Storage:*</c>, <c>Agents:Streams:*</c>, <c>Agents:Reminders</c>) is read after <paramref name="configure"/>
    /// ran; a bad value throws <see cref="AgentsConfigurationException"/> naming its key.
    /// </summary>
    public static TBuilder UseAgentsSilo<TBuilder>(this TBuilder builder, Action<ISiloBuilder>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var silo = new SiloBuilder(builder.Services, builder.Configuration);
        AddSiloServices(silo);
        configure?.Invoke(silo);
        ProviderConfiguration.Apply(silo);
        return builder;
    }

    private static void AddSiloServices(SiloBuilder silo)
    {
        var services = silo.Services;
        if (services.Any(d => d.ServiceType == typeof(SiloRuntime)))
        {
            throw new InvalidOperationException("UseAgentsSilo was called twice on the same host.");
        }

        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateOnStart();
        services.AddOptions<ClusteringOptions>().BindConfiguration(ClusteringOptions.SectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>());
        services.AddOptions<NetworkingOptions>().BindConfiguration(NetworkingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NetworkingOptions>, NetworkingOptionsValidator>());
        services.AddOptions<Agents.Runtime.Membership.MembershipOptions>().BindConfiguration(Agents.Runtime.Membership.MembershipOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Agents.Runtime.Membership.MembershipOptions>, Agents.Runtime.Membership.MembershipOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(silo.AssemblyList);
        services.AddSingleton<SiloRuntime>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<SiloRuntime>().GrainFactory);
        services.AddSingleton<IClusterClient>(sp => new InProcessClusterClient(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<SiloRuntime>().Catalog));
        services.AddSingleton<IClusterStatus, ClusterStatus>();
        services.AddHostedService<SiloHostedService>();

        // The host's own stop budget (30 s by default) covers every hosted service, the web server first: give the silo room
        // for its ShutdownTimeout (grains deactivating and writing state) plus leaving the cluster, unless the host was
        // given a longer budget already.
        services.AddOptions<HostOptions>().Configure<IOptions<SiloOptions>>((host, siloOptions) =>
        {
            var needed = siloOptions.Value.ShutdownTimeout + SiloHostedService.LeaveBudget + TimeSpan.FromSeconds(5);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        silo.AddStorageProviderKind("Memory", static (s, name, _) => s.AddMemoryGrainStorage(name));
        silo.AddStreamProviderKind("Memory", static (s, name, _) => s.AddMemoryStreams(name));
        // A cluster of one whose table lives in this process: the silo listens on its silo and
        // gateway ports, so clients (the SDK) can connect to a single dev silo.
        silo.AddReminderProviderKind("Memory", sharedAcrossProcesses: false, static (s, _) => s.UseInMemoryReminderService());
        silo.AddClusteringProviderKind("InMemory", static (s, _) => s.UseClustering(static sp => new Agents.Runtime.Membership.InMemoryMembershipTable(sp.GetService<TimeProvider>())));
    }
}
