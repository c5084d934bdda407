using Agents.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Storage;

/// <summary>Finds grain storage providers by name. Providers are keyed singletons of <see cref="IGrainStorage"/>.</summary>
internal sealed class GrainStorageRegistry(IServiceProvider services)
{
    /// <summary>The provider used when a <c>[PersistentState]</c> names none.</summary>
    public const string DefaultName = "Default";

    public IGrainStorage Get(string name, GrainId grainId, string stateName) =>
        services.GetKeyedService<IGrainStorage>(name)
        ?? throw new InvalidOperationException(
            $"Grain {grainId} uses storage provider '{name}' for state '{stateName}', but no storage provider of that name is configured. " +
            $"Set Agents:Storage:{name}:Provider (Memory or Sqlite) or call silo.AddMemoryGrainStorage(\"{name}\").");
}
