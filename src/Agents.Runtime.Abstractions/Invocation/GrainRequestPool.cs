namespace Agents.Invocation;

/// <summary>
/// A pool of request objects of one generated type. A one-slot per-thread cache serves the
/// common case (a caller that awaits each call and reuses the object it just released) without
/// synchronization. The rest goes to small stacks striped by the CPU the thread runs on, each
/// under its own lock: threads on different CPUs never touch the same stripe's cache line, so
/// renting and returning from many threads at once does not contend on one shared counter or
/// queue. Each stripe holds a bounded number; objects beyond it are left to the GC, so the pool
/// never grows without limit.
/// </summary>
public static class GrainRequestPool<TRequest>
    where TRequest : GrainRequest, new()
{
    private const int PerStripe = 128;
    private static readonly Stripe[] Stripes = CreateStripes();

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
        else
        {
            request = StripeOfThisCpu().TryPop() ?? new TRequest();
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

        StripeOfThisCpu().TryPush(request);
    }

    private static Stripe StripeOfThisCpu() => Stripes[Thread.GetCurrentProcessorId() & (Stripes.Length - 1)];

    private static Stripe[] CreateStripes()
    {
        // A power of two at least the CPU count, so the CPU id maps to a stripe with a mask.
        var count = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Environment.ProcessorCount));
        var stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            stripes[i] = new Stripe();
        }

        return stripes;
    }

    private sealed class Stripe
    {
        private readonly TRequest[] _items = new TRequest[PerStripe];
        private readonly Lock _lock = new();
        private int _count;

        public TRequest? TryPop()
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    return null;
                }

                var item = _items[--_count];
                _items[_count] = null!;
                return item;
            }
        }

        public void TryPush(TRequest item)
        {
            lock (_lock)
            {
                if (_count < PerStripe)
                {
                    _items[_count++] = item;
                }
            }
        }
    }
}
