using Agents.Runtime.Catalog;

namespace Agents.Runtime.Core;

/// <summary>The activation whose turn is running on this thread, if any.</summary>
internal static class RuntimeContext
{
    [ThreadStatic]
    private static ActivationData? t_current;

    public static ActivationData? Current
    {
        get => t_current;
        set => t_current = value;
    }
}
