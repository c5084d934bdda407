using Agents.Runtime.Core;

namespace Agents.Runtime.Tests.Grains;

/// <summary>Records how its turns ran, to prove the scheduler's guarantees.</summary>
public interface ITurnProbeGrain : IGrainWithStringKey
{
    /// <summary>Enters, awaits <paramref name="awaits"/> times, leaves; returns whether every segment ran on the activation's context.</summary>
    Task<bool> Work(int awaits);

    Task<TurnReport> Report();
}

[Immutable]
public sealed record TurnReport(int Calls, int Overlaps, int MaxInFlight, int ParallelSegments);

/// <summary>
/// Records how its turns ran: requests in flight at once (interleaving) and synchronous stretches
/// of grain code running at once on different threads (parallelism, which must never happen).
/// </summary>
public abstract class TurnProbe : Grain, ITurnProbeGrain
{
    private int _inFlight;
    private int _maxInFlight;
    private int _overlaps;
    private int _executing;
    private int _parallelSegments;
    private int _calls;

    public async Task<bool> Work(int awaits)
    {
        var onContext = true;
        _calls++;
        _inFlight++;
        _maxInFlight = Math.Max(_maxInFlight, _inFlight);
        if (_inFlight > 1)
        {
            _overlaps++;
        }

        for (var i = 0; i < awaits; i++)
        {
            Segment();
            await Task.Delay(1);
            onContext &= SynchronizationContext.Current is not null && RuntimeContext.Current?.GrainId == GrainId;
        }

        Segment();
        _inFlight--;
        return onContext;
    }

    public Task<TurnReport> Report() => Task.FromResult(new TurnReport(_calls, _overlaps, _maxInFlight, _parallelSegments));

    private void Segment()
    {
        if (Interlocked.Exchange(ref _executing, 1) == 1)
        {
            Interlocked.Increment(ref _parallelSegments);
        }

        Thread.SpinWait(2000);
        Volatile.Write(ref _executing, 0);
    }
}

public sealed class TurnProbeGrain : TurnProbe
{
}

/// <summary>The same probe, reentrant: requests may interleave at awaits.</summary>
public interface IReentrantProbeGrain : ITurnProbeGrain
{
}

[Reentrant]
public sealed class ReentrantProbeGrain : TurnProbe, IReentrantProbeGrain
{
}

/// <summary>Counts its activations, to prove there is exactly one per grain id.</summary>
public interface IActivationCounterGrain : IGrainWithIntegerKey
{
    Task<Guid> GetActivationId();
}

public sealed class ActivationCounterGrain : Grain, IActivationCounterGrain
{
    private static int s_activations;
    private readonly Guid _activationId = Guid.NewGuid();

    public static int Activations => Volatile.Read(ref s_activations);

    public static void Reset() => Volatile.Write(ref s_activations, 0);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref s_activations);
        // A slow activation widens the window in which concurrent first calls race.
        await Task.Delay(20, cancellationToken);
    }

    public Task<Guid> GetActivationId() => Task.FromResult(_activationId);
}

/// <summary>A stateless worker pool of at most 4.</summary>
public interface IWorkerGrain : IGrainWithIntegerKey
{
    Task<Guid> Work(int milliseconds);
}

[StatelessWorker(4)]
public sealed class WorkerGrain : Grain, IWorkerGrain
{
    private readonly Guid _id = Guid.NewGuid();

    public async Task<Guid> Work(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return _id;
    }
}
