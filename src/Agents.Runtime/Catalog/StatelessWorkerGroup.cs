using Agents.Invocation;

namespace Agents.Runtime.Catalog;

/// <summary>
/// The local pool of a [StatelessWorker] grain: up to MaxLocalWorkers activations sharing one
/// grain id, created on demand and not registered individually in the directory. A request goes
/// to an idle worker, else to a new worker while the pool has room, else to the least loaded one.
/// </summary>
internal sealed class StatelessWorkerGroup(GrainId grainId, GrainClassInfo grainClass, GrainCatalog catalog)
{
    private readonly List<ActivationData> _workers = [];

    public GrainId GrainId { get; } = grainId;

    public ActivationData[] Workers
    {
        get
        {
            lock (_workers)
            {
                return [.. _workers];
            }
        }
    }

    public bool TryEnqueue(GrainRequest request)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (catalog.IsShuttingDown)
            {
                catalog.FailUndelivered(request, new SiloUnavailableException($"Grain {GrainId} cannot take new work: the silo is shutting down."));
                return true;
            }

            var worker = PickWorker(out var created, out var allBusyAtLimit);
            if (allBusyAtLimit && request.CallContext?.Chain is { } chain && chain.ContainsOpen(GrainId))
            {
                // Every worker is busy and one of them waits on this very call: queueing it would
                // wait on itself whenever it lands behind the waiting worker.
                catalog.FailUndelivered(request, worker.CreateDeadlockException(chain));
                return true;
            }

            if (created)
            {
                // Join the new worker before it starts (see GrainCatalog.Deliver).
                catalog.OnActivationCreated();
                worker.TryEnqueue(request);
                catalog.StartNewActivation(worker);
                return true;
            }

            if (worker.TryEnqueue(request))
            {
                return true;
            }
        }

        return false;
    }

    private ActivationData PickWorker(out bool created, out bool allBusyAtLimit)
    {
        lock (_workers)
        {
            allBusyAtLimit = false;
            ActivationData? best = null;
            var bestLoad = int.MaxValue;
            foreach (var worker in _workers)
            {
                var load = worker.RunningCount + worker.QueuedCount;
                if (load == 0)
                {
                    created = false;
                    return worker;
                }

                if (load < bestLoad)
                {
                    best = worker;
                    bestLoad = load;
                }
            }

            if (best is null || _workers.Count < grainClass.MaxLocalWorkers)
            {
                var worker = new ActivationData(GrainId, grainClass, catalog, this);
                _workers.Add(worker);
                created = true;
                return worker;
            }

            created = false;
            allBusyAtLimit = true;
            return best;
        }
    }

    public void Remove(ActivationData worker)
    {
        lock (_workers)
        {
            _workers.Remove(worker);
        }
    }
}
