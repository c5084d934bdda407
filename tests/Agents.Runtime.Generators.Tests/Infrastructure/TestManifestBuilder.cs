using Agents.Invocation;

namespace Agents.Runtime.Generators.Tests;

/// <summary>Collects what a generated manifest declares. Copiers go to the interface's default (DeepCopier).</summary>
public sealed class TestManifestBuilder : IGrainManifestBuilder
{
    public List<GrainInterfaceDescriptor> Interfaces { get; } = [];

    public List<GrainClassDescriptor> GrainClasses { get; } = [];

    public Dictionary<Type, string> SerializableTypes { get; } = [];

    public void AddInterface(GrainInterfaceDescriptor descriptor) => Interfaces.Add(descriptor);

    public void AddGrainClass(GrainClassDescriptor descriptor) => GrainClasses.Add(descriptor);

    public void AddSerializableType(Type type, string alias) => SerializableTypes.Add(type, alias);

    /// <summary>The manifest the generator emitted for this test assembly, loaded into a new builder.</summary>
    public static TestManifestBuilder LoadTestAssemblyManifest()
    {
        var builder = new TestManifestBuilder();
        new Agents.Generated.Agents_Runtime_Generators_TestsManifest().Populate(builder);
        return builder;
    }
}
