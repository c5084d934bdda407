using System.Numerics;
using Agents.Invocation;

namespace Agents.Runtime.Messaging;

/*
 * The calls this process is waiting on, for response timeouts.
 *
 * Each outstanding call is linked into one of a few shards (chosen by the sending thread, to keep
 * lock contention low) through intrusive fields on the request itself, so tracking a call costs a
 * short uncontended lock and no allocation. A periodic sweep walks the shards and fails calls past
 * their deadline with a TimeoutException. Precision is therefore the sweep period
 * (Agents:Silo:ResponseTimeoutCheckPeriod): a call times out between its deadline and one period later.
 *
 * Invariants
 *  - A request is linked in at most one shard (PendingShard >= 0 iff linked), changed only under
 *    that shard's lock.
 *  - The callee side calls Untrack before releasing the request, and the sweep unlinks before it
 *    times a call out, so a request is never recycled while linked.
 *  - The sweep completes the caller with the version it read under the lock: if the call finished
 *    and the object was reused meanwhile, the version no longer matches and nothing happens.
 */
internal sealed class PendingCallRegistry : IDisposable
{
    private readonly Shard[] _shards;
    private readonly int _mask;
    private readonly TimeProvider _time;
    private readonly ITimer _sweepTimer;

    private readonly string _timeoutSetting;

    /// <param name="time">The clock deadlines are kept by.</param>
    /// <param name="sweepPeriod">How often expired calls are found.</param>
    /// <param name="timeoutSetting">The configuration key of the default timeout, named in timeout errors (a silo's, or a client's).</param>
    public PendingCallRegistry(TimeProvider time, TimeSpan sweepPeriod, string timeoutSetting = "Agents:Silo:ResponseTimeout")
    {
        _time = time;
        _timeoutSetting = timeoutSetting;
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, Environment.ProcessorCount));
        _shards = new Shard[count];
        for (var i = 0; i < count; i++)
        {
            _shards[i] = new Shard();
        }

        _mask = count - 1;
        _sweepTimer = time.CreateTimer(static s => ((PendingCallRegistry)s!).Sweep(), this, sweepPeriod, sweepPeriod);
    }

    /// <summary>Outstanding calls (approximate, for diagnostics).</summary>
    public int Count
    {
        get
        {
            var total = 0;
            foreach (var shard in _shards)
            {
                total += Volatile.Read(ref shard.Count);
            }

            return total;
        }
    }

    public void Track(GrainRequest request, TimeSpan timeout)
    {
        var index = Environment.CurrentManagedThreadId & _mask;
        var shard = _shards[index];
        request.PendingDeadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        lock (shard)
        {
            request.PendingShard = index;
            request.PendingPrevious = null;
            request.PendingNext = shard.Head;
            if (shard.Head is not null)
            {
                shard.Head.PendingPrevious = request;
            }

            shard.Head = request;
            shard.Count++;
        }
    }

    public void Untrack(GrainRequest request)
    {
        var index = Volatile.Read(ref request.PendingShard);
        if (index < 0)
        {
            return;
        }

        var shard = _shards[index];
        lock (shard)
        {
            if (request.PendingShard == index)
            {
                UnlinkLocked(shard, request);
            }
        }
    }

    private static void UnlinkLocked(Shard shard, GrainRequest request)
    {
        if (request.PendingPrevious is { } previous)
        {
            previous.PendingNext = request.PendingNext;
        }
        else
        {
            shard.Head = request.PendingNext;
        }

        if (request.PendingNext is { } next)
        {
            next.PendingPrevious = request.PendingPrevious;
        }

        request.PendingPrevious = null;
        request.PendingNext = null;
        request.PendingShard = -1;
        shard.Count--;
    }

    /// <summary>Fails every call past its deadline. Runs on the sweep timer.</summary>
    internal void Sweep()
    {
        var now = _time.GetTimestamp();
        List<(GrainRequest Request, int Version)>? expired = null;
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                var request = shard.Head;
                while (request is not null)
                {
                    var next = request.PendingNext;
                    if (request.PendingDeadline <= now || request.IsCallerCompleted)
                    {
                        UnlinkLocked(shard, request);
                        if (!request.IsCallerCompleted)
                        {
                            (expired ??= []).Add((request, request.Version));
                        }
                    }

                    request = next;
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var (request, version) in expired)
        {
            request.TryCompleteCaller(
                new TimeoutException(
                    $"{request.Method} to {request.TargetId} timed out after {request.Timeout}: no response arrived. The grain may be " +
                    "slow, blocked on something external, or waiting in a queue behind a long call. Raise the method's [ResponseTimeout] " +
                    $"or {_timeoutSetting} if this duration is expected."),
                version);
        }
    }

    public void Dispose() => _sweepTimer.Dispose();

    private sealed class Shard
    {
        public GrainRequest? Head;
        public int Count;
    }
}
