using System.Collections.Concurrent;
using Agents.Invocation;

namespace Agents.Runtime.Messaging.Remote;

/*
 * Calls sent over the wire and waiting for their response, by correlation id.
 *
 * Invariants
 *  - An entry holds the request's callee share (the side a local activation would hold): while
 *    the entry exists the request object cannot be recycled, so a late response always lands in
 *    the call it belongs to.
 *  - Exactly one party ends an entry: whoever removes it (TryTake) - the response, the loss of the
 *    connection or of the silo, a send failure, or the sweep (past its deadline, or its caller was
 *    already completed by a timeout or cancellation). That party completes the call and releases
 *    the callee share; everyone else finds nothing to do.
 *  - The deadline bounds every entry, even one nobody waits on locally (a request this silo only
 *    forwards): a peer that never answers cannot make the table grow.
 */

/// <summary>One call waiting for its response.</summary>
internal readonly record struct RemoteCall(GrainRequest Request, SiloAddress Target, long Deadline);

/// <summary>Calls sent to other processes, waiting for their responses.</summary>
internal sealed class RemoteCallTable
{
    private readonly ConcurrentDictionary<long, RemoteCall> _calls = new();
    private readonly TimeProvider _time;
    private long _lastId;

    public RemoteCallTable(TimeProvider time) => _time = time;

    public int Count => _calls.Count;

    /// <summary>Registers <paramref name="request"/> under a new correlation id, which it then carries.</summary>
    public void Add(GrainRequest request, SiloAddress target)
    {
        var id = Interlocked.Increment(ref _lastId);
        request.CorrelationId = id;
        var timeout = request.Timeout;
        var deadline = timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        _calls[id] = new RemoteCall(request, target, deadline);
    }

    /// <summary>Takes the call out; only the caller that gets true may complete it.</summary>
    public bool TryTake(long correlationId, out RemoteCall call) => _calls.TryRemove(correlationId, out call);

    /// <summary>Takes out every call sent to <paramref name="target"/> (any generation when <paramref name="anyGeneration"/>).</summary>
    public List<RemoteCall> TakeAll(SiloAddress target, bool anyGeneration)
    {
        var taken = new List<RemoteCall>();
        foreach (var (id, call) in _calls)
        {
            var matches = anyGeneration ? call.Target.IsSameEndpoint(target) : call.Target == target;
            if (matches && _calls.TryRemove(id, out var removed))
            {
                taken.Add(removed);
            }
        }

        return taken;
    }

    /// <summary>Takes out calls past their deadline, and calls whose caller was already completed (timed out or cancelled).</summary>
    public List<RemoteCall> TakeExpired()
    {
        var now = _time.GetTimestamp();
        List<RemoteCall>? taken = null;
        foreach (var (id, call) in _calls)
        {
            if ((call.Deadline <= now || (call.Request.OutcomeSink is null && call.Request.IsCallerCompleted)) && _calls.TryRemove(id, out var removed))
            {
                (taken ??= []).Add(removed);
            }
        }

        return taken ?? [];
    }

    /// <summary>Takes out every call (shutdown).</summary>
    public List<RemoteCall> TakeAll()
    {
        var taken = new List<RemoteCall>();
        foreach (var id in _calls.Keys)
        {
            if (_calls.TryRemove(id, out var call))
            {
                taken.Add(call);
            }
        }

        return taken;
    }
}
