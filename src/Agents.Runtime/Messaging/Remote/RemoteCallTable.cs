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
/// <remarks>
/// Correlation ids are consecutive, so the id's low bits spread entries evenly over lock-striped
/// shards: senders and response readers on different threads rarely meet on one lock, and an entry
/// costs no allocation (a ConcurrentDictionary allocates a node per entry and, on a small machine,
/// has as few locks as cores).
/// </remarks>
internal sealed class RemoteCallTable
{
    private const int ShardCount = 32;

    private readonly Shard[] _shards;
    private readonly TimeProvider _time;
    private long _lastId;

    public RemoteCallTable(TimeProvider time)
    {
        _time = time;
        _shards = new Shard[ShardCount];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard();
        }
    }

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in _shards)
            {
                lock (shard)
                {
                    count += shard.Calls.Count;
                }
            }

            return count;
        }
    }

    /// <summary>Registers <paramref name="request"/> under a new correlation id, which it then carries.</summary>
    /// <param name="request">The call.</param>
    /// <param name="target">Where it is sent.</param>
    /// <param name="deadline">
    /// When the entry expires, as a timestamp of this table's clock; by default now plus the request's
    /// timeout. A sender that has just computed the caller's own deadline passes it, saving a clock read.
    /// </param>
    public void Add(GrainRequest request, SiloAddress target, long? deadline = null)
    {
        var id = Interlocked.Increment(ref _lastId);
        request.CorrelationId = id;
        var expires = deadline ?? DeadlineOf(request.Timeout);
        var shard = ShardOf(id);
        lock (shard)
        {
            shard.Calls[id] = new RemoteCall(request, target, expires);
        }
    }

    private long DeadlineOf(TimeSpan timeout) => timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan
        ? long.MaxValue
        : _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Takes the call out; only the caller that gets true may complete it.</summary>
    public bool TryTake(long correlationId, out RemoteCall call)
    {
        var shard = ShardOf(correlationId);
        lock (shard)
        {
            return shard.Calls.Remove(correlationId, out call);
        }
    }

    /// <summary>Takes out every call sent to <paramref name="target"/> (any generation when <paramref name="anyGeneration"/>).</summary>
    public List<RemoteCall> TakeAll(SiloAddress target, bool anyGeneration) =>
        TakeWhere(call => anyGeneration ? call.Target.IsSameEndpoint(target) : call.Target == target) ?? [];

    /// <summary>Takes out calls past their deadline, and calls whose caller was already completed (timed out or cancelled).</summary>
    public List<RemoteCall> TakeExpired()
    {
        var now = _time.GetTimestamp();
        return TakeWhere(call => call.Deadline <= now || (call.Request.OutcomeSink is null && call.Request.IsCallerCompleted)) ?? [];
    }

    /// <summary>Takes out every call (shutdown).</summary>
    public List<RemoteCall> TakeAll() => TakeWhere(static _ => true) ?? [];

    private List<RemoteCall>? TakeWhere(Func<RemoteCall, bool> matches)
    {
        List<RemoteCall>? taken = null;
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                foreach (var (id, call) in shard.Calls)
                {
                    if (matches(call))
                    {
                        // Removing the current entry while enumerating is allowed for Dictionary.
                        shard.Calls.Remove(id);
                        (taken ??= []).Add(call);
                    }
                }
            }
        }

        return taken;
    }

    private Shard ShardOf(long id) => _shards[(int)(id & (ShardCount - 1))];

    private sealed class Shard
    {
        public readonly Dictionary<long, RemoteCall> Calls = new();
    }
}
