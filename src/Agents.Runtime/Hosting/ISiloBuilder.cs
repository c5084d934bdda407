using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Hosting;

/// <summary>Configures a silo: its services, providers and options. Obtained from <c>UseAgentsSilo</c>.</summary>
public interface ISiloBuilder
{
    IServiceCollection Services { get; }

    IConfiguration Configuration { get; }

    /// <summary>
    /// Registers a storage provider kind usable from configuration
    /// (<c>Agents:Storage:&lt;name&gt;:Provider = &lt;kind&gt;</c>). The callback registers a provider
    /// called <c>name</c> from its configuration section.
    /// </summary>
    ISiloBuilder AddStorageProviderKind(string kind, Action<ISiloBuilder, string, IConfigurationSection> register);

    /// <summary>Registers a stream provider kind usable from configuration (<c>Agents:Streams:&lt;name&gt;:Provider</c>).</summary>
    ISiloBuilder AddStreamProviderKind(string kind, Action<ISiloBuilder, string, IConfigurationSection> register);

    /// <summary>
    /// Registers a clustering provider kind usable from configuration (<c>Agents:Clustering:Provider = &lt;kind&gt;</c>).
    /// The callback registers the provider's <see cref="Membership.IMembershipTable"/> from the <c>Agents:Clustering</c> section.
    /// </summary>
    ISiloBuilder AddClusteringProviderKind(string kind, Action<ISiloBuilder, IConfigurationSection> register);

    /// <summary>
    /// Registers a reminder table kind usable from configuration (<c>Agents:Reminders:Provider = &lt;kind&gt;</c>).
    /// The callback registers the table (normally through <c>UseReminders</c>) from the <c>Agents:Reminders</c> section.
    /// <paramref name="sharedAcrossProcesses"/> says whether silos in different processes can share the
    /// table; a cluster whose silos run in several processes refuses a kind that cannot.
    /// </summary>
    ISiloBuilder AddReminderProviderKind(string kind, bool sharedAcrossProcesses, Action<ISiloBuilder, IConfigurationSection> register);

    /// <summary>Adds an assembly whose generated manifest lists grains (found automatically when referenced by the entry assembly).</summary>
    ISiloBuilder AddGrainAssembly(Assembly assembly);
}

/// <summary>The assemblies given to <see cref="ISiloBuilder.AddGrainAssembly"/>.</summary>
internal sealed class GrainAssemblyList
{
    public List<Assembly> Assemblies { get; } = [];
}

internal sealed class SiloBuilder(IServiceCollection services, IConfiguration configuration) : ISiloBuilder
{
    private readonly GrainAssemblyList _assemblies = new();

    public IServiceCollection Services { get; } = services;

    public IConfiguration Configuration { get; } = configuration;

    public Dictionary<string, Action<ISiloBuilder, string, IConfigurationSection>> StorageKinds { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, Action<ISiloBuilder, string, IConfigurationSection>> StreamKinds { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Storage provider names registered so far (by code or configuration).</summary>
    public HashSet<string> StorageNames { get; } = new(StringComparer.Ordinal);

    public HashSet<string> StreamNames { get; } = new(StringComparer.Ordinal);

    public GrainAssemblyList AssemblyList => _assemblies;

    public ISiloBuilder AddStorageProviderKind(string kind, Action<ISiloBuilder, string, IConfigurationSection> register)
    {
        StorageKinds[kind] = register;
        return this;
    }

    public ISiloBuilder AddStreamProviderKind(string kind, Action<ISiloBuilder, string, IConfigurationSection> register)
    {
        StreamKinds[kind] = register;
        return this;
    }

    public Dictionary<string, Action<ISiloBuilder, IConfigurationSection>> ClusteringKinds { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ISiloBuilder AddClusteringProviderKind(string kind, Action<ISiloBuilder, IConfigurationSection> register)
    {
        ClusteringKinds[kind] = register;
        return this;
    }

    public Dictionary<string, (bool SharedAcrossProcesses, Action<ISiloBuilder, IConfigurationSection> Register)> ReminderKinds { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ISiloBuilder AddReminderProviderKind(string kind, bool sharedAcrossProcesses, Action<ISiloBuilder, IConfigurationSection> register)
    {
        ReminderKinds[kind] = (sharedAcrossProcesses, register);
        return this;
    }

    public ISiloBuilder AddGrainAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (!_assemblies.Assemblies.Contains(assembly))
        {
            _assemblies.Assemblies.Add(assembly);
        }

        return this;
    }
}
