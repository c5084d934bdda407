using Agents.Invocation;
using Agents.Runtime.Catalog;

namespace Agents.Runtime.Core;

/// <summary>Creates grain references bound to a call runtime. Cheap: a reference is one small object.</summary>
internal sealed class GrainFactory(GrainTypeRegistry registry, IGrainCallRuntime runtime) : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        return Create<TGrainInterface>(key);
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid key) where TGrainInterface : IGrainWithGuidKey =>
        Create<TGrainInterface>(key.ToString("D"));

    public TGrainInterface GetGrain<TGrainInterface>(long key) where TGrainInterface : IGrainWithIntegerKey =>
        Create<TGrainInterface>(key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable
    {
        var descriptor = registry.GetInterface(typeof(TGrainInterface));
        if (!registry.Implements(grainId.Type, typeof(TGrainInterface)))
        {
            throw new GrainTypeNotFoundException($"Grain type '{grainId.Type}' does not implement {typeof(TGrainInterface).FullName} (grain {grainId}).");
        }

        return (TGrainInterface)(object)descriptor.ProxyFactory(runtime, grainId);
    }

    private TGrainInterface Create<TGrainInterface>(string key)
    {
        var (descriptor, grainType) = registry.Resolve(typeof(TGrainInterface));
        return (TGrainInterface)(object)descriptor.ProxyFactory(runtime, new GrainId(grainType, key));
    }
}
