namespace Agents;

/// <summary>Creates references to grains. A reference is cheap; the grain is activated on its first call.</summary>
public interface IGrainFactory
{
    TGrainInterface GetGrain<TGrainInterface>(string key) where TGrainInterface : IGrainWithStringKey;

    TGrainInterface GetGrain<TGrainInterface>(Guid key) where TGrainInterface : IGrainWithGuidKey;

    TGrainInterface GetGrain<TGrainInterface>(long key) where TGrainInterface : IGrainWithIntegerKey;

    /// <summary>A reference to a grain by its full id; the grain type must implement the interface.</summary>
    TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable;
}

/// <summary>The entry point for code outside grains: a client of the cluster (in-process or remote).</summary>
public interface IClusterClient : IGrainFactory
{
    /// <summary>Stream providers by name, e.g. <c>GetStreamProvider("Default")</c>.</summary>
    Streams.IStreamProvider GetStreamProvider(string name);
}
