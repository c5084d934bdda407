using Agents.Runtime.Catalog;
using Agents.Streams;

namespace Agents.Runtime.Core;

/// <summary>
/// The cluster client for code hosted beside the silo (web endpoints, background services):
/// calls go straight to the local runtime, with no network hop.
/// </summary>
internal sealed class InProcessClusterClient(IGrainFactory grainFactory, GrainCatalog catalog) : IClusterClient
{
    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey => grainFactory.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(Guid key) where TGrainInterface : IGrainWithGuidKey => grainFactory.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(long key) where TGrainInterface : IGrainWithIntegerKey => grainFactory.GetGrain<TGrainInterface>(key);

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => grainFactory.GetGrain<TGrainInterface>(grainId);

    public IStreamProvider GetStreamProvider(string name) => catalog.GetStreamProvider(name);
}
