using Agents.AdoNet.Postgres;
using Agents.AdoNet.Sqlite;
using Agents.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>Registers the relational providers with a silo.</summary>
public static class AdoNetSiloBuilderExtensions
{
    /// <summary>
    /// Makes the relational providers available to configuration:
    /// <c>Agents:Storage:&lt;name&gt;:Provider = Sqlite</c> with <c>DataSource</c>, and optionally
    /// <c>TableName</c>, <c>MaxBatchSize</c>, <c>MaxQueuedWrites</c>, <c>BusyTimeout</c>;
    /// <c>Agents:Storage:&lt;name&gt;:Provider = Postgres</c> with <c>ConnectionString</c>, and optionally
    /// <c>TableName</c>, <c>Format</c> (<c>Json</c> or <c>Binary</c>), <c>MaxBatchSize</c>,
    /// <c>MaxConcurrentBatches</c>, <c>MaxQueuedWrites</c>, <c>CommandTimeout</c>;
    /// <c>Agents:Clustering:Provider = Postgres</c> with <c>ConnectionString</c> (see <see cref="PostgresClusteringExtensions.UsePostgresClustering"/>);
    /// <c>Agents:Reminders:Provider = Sqlite</c> with <c>DataSource</c>, or <c>Postgres</c> (the default in a
    /// PostgreSQL cluster; see <see cref="AdoNetReminderExtensions"/>).
    /// </summary>
    public static ISiloBuilder AddAdoNetProviders(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo
            .AddStorageProviderKind("Sqlite", static (s, name, section) => s.AddSqliteGrainStorage(name, options => section.Bind(options)))
            .AddStorageProviderKind("Postgres", static (s, name, section) => s.AddPostgresGrainStorage(name, options => section.Bind(options)))
            .AddClusteringProviderKind(PostgresClusteringExtensions.ProviderName, static (s, _) => s.UsePostgresClustering(static _ => { }))
            .AddReminderProviderKind("Sqlite", sharedAcrossProcesses: false, static (s, _) => s.UseSqliteReminderService(static _ => { }))
            .AddReminderProviderKind("Postgres", sharedAcrossProcesses: true, static (s, _) => s.UsePostgresReminderService(static _ => { }));
    }

    /// <summary>
    /// A SQLite grain storage provider called <paramref name="name"/>: one database file, schema
    /// created on start-up, writes group-committed and synced to disk before they are acknowledged.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, string name, Action<SqliteGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        silo.Services.AddOptions<SqliteGrainStorageOptions>(name).Configure(configure).ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<SqliteGrainStorageOptions>>(new SqliteGrainStorageOptionsValidator($"Agents:Storage:{name}", name));
        silo.AddGrainStorage(name, static (sp, n) => new SqliteGrainStorage(
            n,
            sp.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(n),
            sp.GetService<IGrainStateSerializer>() ?? JsonGrainStateSerializer.Default,
            sp.GetRequiredService<ILogger<SqliteGrainStorage>>()));
        silo.Services.AddSingleton<IHostedService>(sp => new SqliteStorageInitializer(sp, name));
        return silo;
    }

    /// <summary>
    /// A PostgreSQL grain storage provider called <paramref name="name"/>: state in one table as
    /// readable <c>jsonb</c> (or <c>bytea</c>), schema created on start-up, writes group-committed and
    /// committed before they are acknowledged. One connection pool per provider.
    /// </summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder silo, string name, Action<PostgresGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        silo.Services.AddOptions<PostgresGrainStorageOptions>(name).Configure(configure).ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<PostgresGrainStorageOptions>>(new PostgresGrainStorageOptionsValidator($"Agents:Storage:{name}", name));
        silo.AddGrainStorage(name, static (sp, n) => new PostgresGrainStorage(
            n,
            sp.GetRequiredService<IOptionsMonitor<PostgresGrainStorageOptions>>().Get(n),
            sp.GetService<IGrainStateSerializer>() ?? JsonGrainStateSerializer.Default,
            sp.GetRequiredService<ILogger<PostgresGrainStorage>>()));
        silo.Services.AddSingleton<IHostedService>(sp => new PostgresStorageInitializer(sp, name));
        return silo;
    }

    /// <summary>Opens the database and creates the schema at start-up, so a bad file stops the silo before it serves.</summary>
    private sealed class SqliteStorageInitializer(IServiceProvider services, string name) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            ((SqliteGrainStorage)services.GetRequiredKeyedService<IGrainStorage>(name)).InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Connects and creates or checks the schema at start-up, so an unreachable server or an incompatible table stops the silo before it serves.</summary>
    private sealed class PostgresStorageInitializer(IServiceProvider services, string name) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            ((PostgresGrainStorage)services.GetRequiredKeyedService<IGrainStorage>(name)).InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
