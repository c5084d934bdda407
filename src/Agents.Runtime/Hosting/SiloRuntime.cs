using Agents.Runtime.Catalog;
using Agents.Runtime.Core;
using Agents.Runtime.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>
/// The silo's runtime parts, wired together once: grain type registry, catalog, call runtime and
/// grain factory (they reference each other, so they are built here rather than by the container).
/// </summary>
internal sealed class SiloRuntime : IDisposable
{
    public SiloRuntime(
        IServiceProvider services,
        GrainAssemblyList assemblies,
        IOptions<SiloOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        Registry = new GrainTypeRegistry(GrainTypeRegistry.DefaultRoots().Concat(assemblies.Assemblies));
        Catalog = new GrainCatalog(services, Registry, options, timeProvider, loggerFactory);
        CallRuntime = new SiloCallRuntime(Catalog, services);
        GrainFactory = new GrainFactory(Registry, CallRuntime);
        Catalog.GrainFactory = GrainFactory;
    }

    public GrainTypeRegistry Registry { get; }

    public GrainCatalog Catalog { get; }

    public SiloCallRuntime CallRuntime { get; }

    public GrainFactory GrainFactory { get; }

    public void Dispose() => Catalog.Dispose();
}
