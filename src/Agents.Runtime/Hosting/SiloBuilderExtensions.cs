using Agents.Runtime.Storage;
using Agents.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Agents.Runtime.Hosting;

/// <summary>Code-first silo configuration, mirroring Orleans' builder methods.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>A single silo in this process, no membership table: the local development setup.</summary>
    public static ISiloBuilder UseLocalhostClustering(this ISiloBuilder silo, string clusterId = "dev")
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.Configure<ClusteringOptions>(o => o.Provider = ClusteringOptions.Localhost);
        silo.Services.Configure<SiloOptions>(o => o.ClusterId = clusterId);
        return silo;
    }

    /// <summary>
    /// A member of a cluster whose membership lives in <paramref name="table"/> (shared by every silo
    /// of the cluster). The silo listens on its silo and gateway ports (<c>Agents:Networking</c>),
    /// joins through the table, and routes calls to grains wherever they are.
    /// </summary>
    public static ISiloBuilder UseClustering(this ISiloBuilder silo, Func<IServiceProvider, Membership.IMembershipTable> table)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(table);
        silo.Services.AddSingleton(table);
        return silo;
    }

    /// <summary>Changes silo options in code (configuration section <c>Agents:Silo</c> is applied first).</summary>
    public static ISiloBuilder Configure(this ISiloBuilder silo, Action<SiloOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.Configure(configure);
        return silo;
    }

    /// <summary>An in-memory grain storage provider called <paramref name="name"/>.</summary>
    public static ISiloBuilder AddMemoryGrainStorage(this ISiloBuilder silo, string name)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo.AddGrainStorage(name, (sp, n) => new MemoryGrainStorage(n, sp.GetService<IGrainStateSerializer>()));
    }

    /// <summary>An in-memory grain storage provider as the default provider.</summary>
    public static ISiloBuilder AddMemoryGrainStorageAsDefault(this ISiloBuilder silo) => silo.AddMemoryGrainStorage(GrainStorageRegistry.DefaultName);

    /// <summary>Registers a grain storage provider called <paramref name="name"/>.</summary>
    public static ISiloBuilder AddGrainStorage(this ISiloBuilder silo, string name, Func<IServiceProvider, string, IGrainStorage> factory)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        silo.Services.AddKeyedSingleton(name, (sp, key) => factory(sp, (string)key!));
        if (silo is SiloBuilder builder)
        {
            builder.StorageNames.Add(name);
        }

        return silo;
    }

    /// <summary>A filter around every call delivered to grains on this silo.</summary>
    public static ISiloBuilder AddIncomingGrainCallFilter<TFilter>(this ISiloBuilder silo)
        where TFilter : class, IIncomingGrainCallFilter
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, TFilter>());
        return silo;
    }

    /// <summary>A filter around every call delivered to grains on this silo.</summary>
    public static ISiloBuilder AddIncomingGrainCallFilter(this ISiloBuilder silo, IIncomingGrainCallFilter filter)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton(filter);
        return silo;
    }

    /// <summary>A filter around every call made from this silo.</summary>
    public static ISiloBuilder AddOutgoingGrainCallFilter<TFilter>(this ISiloBuilder silo)
        where TFilter : class, IOutgoingGrainCallFilter
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IOutgoingGrainCallFilter, TFilter>());
        return silo;
    }

    /// <summary>A filter around every call made from this silo.</summary>
    public static ISiloBuilder AddOutgoingGrainCallFilter(this ISiloBuilder silo, IOutgoingGrainCallFilter filter)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton(filter);
        return silo;
    }
}

/// <summary>How silos find each other. Bound from <c>Agents:Clustering</c>.</summary>
public sealed class ClusteringOptions
{
    public const string SectionName = "Agents:Clustering";
    public const string Localhost = "Localhost";

    /// <summary><c>Localhost</c>: one silo, no membership table.</summary>
    public string Provider { get; set; } = Localhost;

    /// <summary>The membership table's connection string, for table-backed providers.</summary>
    public string? ConnectionString { get; set; }
}
