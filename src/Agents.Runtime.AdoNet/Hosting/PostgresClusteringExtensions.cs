using Agents.AdoNet.Postgres.Membership;
using Agents.Runtime.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>Registers the PostgreSQL membership table with a silo.</summary>
public static class PostgresClusteringExtensions
{
    /// <summary>The <see cref="ClusteringOptions.Provider"/> value for PostgreSQL clustering.</summary>
    public const string ProviderName = "Postgres";

    /// <summary>
    /// Keeps the cluster's membership in PostgreSQL: every silo of the cluster names the same database
    /// and cluster id. Options bind from <c>Agents:Clustering</c> (<c>ConnectionString</c>, and
    /// optionally <c>ClusterId</c>, <c>Schema</c>, <c>TablePrefix</c>, <c>CommandTimeout</c>), then
    /// <paramref name="configure"/> runs; an empty cluster id takes <c>Agents:Silo:ClusterId</c>. Bad
    /// values stop start-up with a message naming the key. The tables are created on first use.
    /// </summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder builder, Action<PostgresMembershipOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PostgresMembershipOptions>()
            .BindConfiguration(PostgresMembershipOptions.SectionName)
            .Configure(configure)
            .PostConfigure<IOptions<SiloOptions>>(static (options, silo) => options.DefaultClusterIdTo(silo.Value.ClusterId))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<PostgresMembershipOptions>>(new PostgresMembershipOptionsValidator()));
        builder.Services.Configure<ClusteringOptions>(static o => o.Provider = ProviderName);
        builder.Services.AddSingleton<IMembershipTable>(static sp => new PostgresMembershipTable(
            sp.GetRequiredService<IOptions<PostgresMembershipOptions>>().Value,
            sp.GetRequiredService<ILogger<PostgresMembershipTable>>()));
        return builder;
    }
}
