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
            var worker = PickWorker(out var created);
            if (created)
            {
                catalog.OnActivationCreated();
                worker.StartActivation();
            }

            if (worker.TryEnqueue(request))
            {
                return true;
            }
        }

        return false;
    }

    private ActivationData PickWorker(out bool created)
    {
        lock (_workers)
        {
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
