using System.Reflection;
using Agents.Invocation;

namespace Agents.Runtime.Testing;

/// <summary>
/// Registers the codecs, copiers and exception types of an assembly's generated manifest, as a silo or client does when it
/// starts: for tests that serialize values without starting one (otherwise whether a codec is there depends on which test
/// happened to start a cluster first).
/// </summary>
public static class WireTypes
{
    /// <summary>Registers what <paramref name="assembly"/>'s generated manifest declares for the wire; idempotent.</summary>
    public static void Register(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var attribute = assembly.GetCustomAttribute<GrainManifestProviderAttribute>()
            ?? throw new ArgumentException($"{assembly.GetName().Name} has no generated manifest (no [GenerateSerializer] types or grains).", nameof(assembly));
        ((IGrainManifestProvider)Activator.CreateInstance(attribute.ProviderType)!).Populate(new CodecsOnly());
    }

    /// <summary>Keeps the builder's default registrations (codecs, copiers, exceptions); grains and interfaces are a silo's business.</summary>
    private sealed class CodecsOnly : IGrainManifestBuilder
    {
        public void AddInterface(GrainInterfaceDescriptor descriptor)
        {
        }

        public void AddGrainClass(GrainClassDescriptor descriptor)
        {
        }

        public void AddSerializableType(Type type, string alias)
        {
        }
    }
}
