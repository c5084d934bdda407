using System.Collections.Concurrent;

namespace Agents.Invocation;

/// <summary>
/// A pool of request objects of one generated type. A one-slot per-thread cache serves the
/// common case (a caller that awaits each call and reuses the object it just released) without
/// synchronization; a bounded shared queue catches the rest. Objects beyond the bound are left to
/// the GC, so the pool never grows without limit.
/// </summary>
public static class GrainRequestPool<TRequest>
    where TRequest : GrainRequest, new()
{
    private static readonly int MaxShared = Math.Max(64, Environment.ProcessorCount * 128);
    private static readonly ConcurrentQueue<TRequest> Shared = new();
    private static int s_sharedCount;

    [ThreadStatic]
    private static TRequest? t_cached;

    /// <summary>A request ready to be filled and sent.</summary>
    public static TRequest Rent()
    {
        var request = t_cached;
        if (request is not null)
        {
            t_cached = null;
        }
        else if (Shared.TryDequeue(out request))
        {
            Interlocked.Decrement(ref s_sharedCount);
        }
        else
        {
            request = new TRequest();
        }

        request.Arm();
        return request;
    }

    /// <summary>Called by the request itself once both its owners released it.</summary>
    public static void Return(TRequest request)
    {
        if (t_cached is null)
        {
            t_cached = request;
            return;
        }

        if (Interlocked.Increment(ref s_sharedCount) <= MaxShared)
        {
            Shared.Enqueue(request);
        }
        else
        {
            Interlocked.Decrement(ref s_sharedCount);
        }
    }
}
