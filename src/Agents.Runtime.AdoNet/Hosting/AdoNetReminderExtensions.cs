using Agents.AdoNet.Postgres.Reminders;
using Agents.AdoNet.Sqlite.Reminders;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>Registers the relational reminder tables with a silo.</summary>
public static class AdoNetReminderExtensions
{
    /// <summary>
    /// Keeps the cluster's reminders in PostgreSQL. Options bind from <c>Agents:Reminders</c>
    /// (<c>ConnectionString</c>, <c>ClusterId</c>, <c>Schema</c>, <c>TablePrefix</c>, <c>CommandTimeout</c>), then
    /// <paramref name="configure"/> runs; an empty connection string takes <c>Agents:Clustering:ConnectionString</c>
    /// (or, without one, <c>Agents:Storage:Default:ConnectionString</c>) and an empty cluster id
    /// <c>Agents:Silo:ClusterId</c>. The table is created on first use.
    /// </summary>
    public static ISiloBuilder UsePostgresReminderService(this ISiloBuilder builder, Action<PostgresReminderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PostgresReminderOptions>()
            .BindConfiguration(PostgresReminderOptions.SectionName)
            .Configure(configure)
            .PostConfigure<IOptions<SiloOptions>, IConfiguration>(static (options, silo, configuration) =>
            {
                options.DefaultClusterIdTo(silo.Value.ClusterId);
                if (string.IsNullOrEmpty(options.ConnectionString))
                {
                    options.ConnectionString = configuration[$"{ClusteringOptions.SectionName}:ConnectionString"] is { Length: > 0 } clustering
                        ? clustering
                        : configuration[DefaultStorageKey("ConnectionString")] ?? string.Empty;
                }
            })
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresReminderOptions>, PostgresReminderOptionsValidator>());
        return builder.UseReminders(static sp => new PostgresReminderTable(
            sp.GetRequiredService<IOptions<PostgresReminderOptions>>().Value,
            sp.GetRequiredService<ILogger<PostgresReminderTable>>()));
    }

    /// <summary>
    /// Keeps this silo's reminders in a SQLite file, so they survive restarts of a single silo. Options
    /// bind from <c>Agents:Reminders</c> (<c>DataSource</c>, <c>TableName</c>, <c>BusyTimeout</c>), then
    /// <paramref name="configure"/> runs; an empty data source takes the Default storage provider's
    /// (<c>Agents:Storage:Default:DataSource</c>), so grain state and reminders share one file. Not for
    /// clusters of several processes: each would tick its own file.
    /// </summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<SqliteReminderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteReminderOptions>()
            .BindConfiguration(SqliteReminderOptions.SectionName)
            .Configure(configure)
            .PostConfigure<IConfiguration>(static (options, configuration) =>
            {
                if (string.IsNullOrEmpty(options.DataSource))
                {
                    options.DataSource = configuration[DefaultStorageKey("DataSource")] ?? string.Empty;
                }
            })
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteReminderOptions>, SqliteReminderOptionsValidator>());
        return builder.UseReminders(static sp => new SqliteReminderTable(
            sp.GetRequiredService<IOptions<SqliteReminderOptions>>().Value,
            sp.GetRequiredService<ILogger<SqliteReminderTable>>()));
    }

    private static string DefaultStorageKey(string property) => $"Agents:Storage:Default:{property}";
}
