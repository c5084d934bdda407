using Agents.Invocation;

namespace Agents;

/// <summary>Key accessors for grains and grain references, as in <c>this.GetPrimaryKeyString()</c>.</summary>
public static class GrainExtensions
{
    public static GrainId GetGrainId(this IAddressable grain) => grain switch
    {
        IGrainBase g => g.GrainContext.GrainId,
        GrainReference r => r.GrainId,
        null => throw new ArgumentNullException(nameof(grain)),
        _ => throw new ArgumentException($"{grain.GetType().Name} is neither a grain nor a grain reference.", nameof(grain)),
    };

    public static string GetPrimaryKeyString(this IAddressable grain) => grain.GetGrainId().Key;

    public static Guid GetPrimaryKey(this IAddressable grain) => grain.GetGrainId().GetGuidKey();

    public static long GetPrimaryKeyLong(this IAddressable grain) => grain.GetGrainId().GetIntegerKey();
}
