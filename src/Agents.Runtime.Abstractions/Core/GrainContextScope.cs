namespace Agents;

/// <summary>
/// The activation whose grain is being constructed on this thread. The runtime sets it around
/// the grain factory so that <see cref="Grain"/>'s constructor can bind to its context.
/// </summary>
public static class GrainContextScope
{
    [ThreadStatic]
    private static IGrainContext? t_current;

    /// <summary>The context of the grain under construction on this thread, if any.</summary>
    public static IGrainContext? Current => t_current;

    /// <summary>Sets the context for the duration of a grain constructor; dispose to restore.</summary>
    public static Scope Enter(IGrainContext context)
    {
        var previous = t_current;
        t_current = context;
        return new Scope(previous);
    }

    public readonly struct Scope(IGrainContext? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }
}
