using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Hosting;

/// <summary>
/// Applies the configuration-driven choices - <c>Agents:Clustering:Provider</c>,
/// <c>Agents:Storage:&lt;name&gt;:Provider</c>, <c>Agents:Streams:&lt;name&gt;:Provider</c> - after the
/// code-first configuration ran. A provider registered in code wins over configuration of the same
/// name. A bad value throws <see cref="AgentsConfigurationException"/> naming the key, which stops
/// start-up before anything runs.
/// </summary>
internal static class ProviderConfiguration
{
    public static void Apply(SiloBuilder silo)
    {
        ApplyClustering(silo);
        ApplySections(silo, "Agents:Storage", silo.StorageKinds, silo.StorageNames, "storage");
        ApplySections(silo, "Agents:Streams", silo.StreamKinds, silo.StreamNames, "stream");
        ApplyReminders(silo);
    }

    /// <summary>
    /// Every silo runs a reminder service. A table registered in code (UseReminders) wins; otherwise
    /// <c>Agents:Reminders:Provider</c> names the kind. When it is unset, reminders live where the
    /// cluster's shared state lives: the clustering provider's kind if a reminder kind has that name
    /// (Postgres clustering: Postgres reminders), else the Default storage provider's (Sqlite storage:
    /// reminders in the same file), else Memory. A cluster whose silos run in separate processes
    /// refuses a table that lives in one process (Memory, Sqlite): each silo would tick its own copy.
    /// </summary>
    private static void ApplyReminders(SiloBuilder silo)
    {
        if (silo.Services.Any(d => d.ServiceType == typeof(Reminders.IReminderTable)))
        {
            return;
        }

        var key = $"{Reminders.ReminderOptions.SectionName}:Provider";
        var clustering = silo.Configuration[$"{ClusteringOptions.SectionName}:Provider"];
        var kind = silo.Configuration[key];
        if (string.IsNullOrWhiteSpace(kind))
        {
            var storage = silo.Configuration["Agents:Storage:Default:Provider"];
            kind = !string.IsNullOrEmpty(clustering) && silo.ReminderKinds.ContainsKey(clustering) ? clustering
                : !string.IsNullOrEmpty(storage) && silo.ReminderKinds.ContainsKey(storage) ? storage
                : "Memory";
        }

        if (!silo.ReminderKinds.TryGetValue(kind, out var provider))
        {
            var known = string.Join(", ", silo.ReminderKinds.Keys.Order(StringComparer.Ordinal));
            throw new AgentsConfigurationException(key, $"'{kind}' is not a reminder provider this silo has. Known providers: {known}.");
        }

        var multiProcess = !string.IsNullOrEmpty(clustering)
            && !string.Equals(clustering, ClusteringOptions.Localhost, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(clustering, "InMemory", StringComparison.OrdinalIgnoreCase);
        if (multiProcess && !provider.SharedAcrossProcesses)
        {
            var shared = string.Join(", ", silo.ReminderKinds.Where(k => k.Value.SharedAcrossProcesses).Select(k => k.Key).Order(StringComparer.Ordinal));
            throw new AgentsConfigurationException(key,
                $"'{kind}' keeps reminders inside one silo process, but this silo is in a '{clustering}' cluster whose silos must share one reminder table. " +
                $"Use {(shared.Length == 0 ? "a shared provider" : shared)} (leave it unset to follow the clustering provider).");
        }

        provider.Register(silo, silo.Configuration.GetSection(Reminders.ReminderOptions.SectionName));
    }

    /// <summary>
    /// Localhost (the default): one silo, no membership table, no wire. Any other provider registers
    /// a membership table from configuration; a table registered in code (UseClustering) wins. With
    /// a table, the silo runs the cluster: listeners, membership, distributed directory, routing.
    /// </summary>
    private static void ApplyClustering(SiloBuilder silo)
    {
        var key = $"{ClusteringOptions.SectionName}:Provider";
        var provider = silo.Configuration[key];
        var hasTable = silo.Services.Any(d => d.ServiceType == typeof(Membership.IMembershipTable));
        if (!hasTable && !string.IsNullOrEmpty(provider) && !string.Equals(provider, ClusteringOptions.Localhost, StringComparison.OrdinalIgnoreCase))
        {
            if (!silo.ClusteringKinds.TryGetValue(provider, out var register))
            {
                var known = string.Join(", ", silo.ClusteringKinds.Keys.Prepend(ClusteringOptions.Localhost).Order(StringComparer.Ordinal));
                throw new AgentsConfigurationException(key, $"'{provider}' is not a clustering provider this silo has. Known providers: {known}.");
            }

            register(silo, silo.Configuration.GetSection(ClusteringOptions.SectionName));
            hasTable = silo.Services.Any(d => d.ServiceType == typeof(Membership.IMembershipTable));
        }

        if (hasTable)
        {
            silo.Services.AddSingleton<SiloCluster>();
        }
    }

    private static void ApplySections(
        SiloBuilder silo,
        string sectionPath,
        Dictionary<string, Action<ISiloBuilder, string, IConfigurationSection>> kinds,
        HashSet<string> registered,
        string what)
    {
        foreach (var section in silo.Configuration.GetSection(sectionPath).GetChildren())
        {
            var key = $"{sectionPath}:{section.Key}:Provider";
            var kind = section["Provider"];
            if (string.IsNullOrWhiteSpace(kind))
            {
                throw new AgentsConfigurationException(key, $"missing. Every {what} provider section needs a Provider ({KnownKinds(kinds)}).");
            }

            if (registered.Contains(section.Key))
            {
                // Registered in code: code wins.
                continue;
            }

            if (!kinds.TryGetValue(kind, out var register))
            {
                throw new AgentsConfigurationException(key, $"'{kind}' is not a {what} provider. Known providers: {KnownKinds(kinds)}.");
            }

            register(silo, section.Key, section);
        }
    }

    private static string KnownKinds(Dictionary<string, Action<ISiloBuilder, string, IConfigurationSection>> kinds) =>
        kinds.Count == 0 ? "none registered" : string.Join(", ", kinds.Keys.Order(StringComparer.Ordinal));
}
