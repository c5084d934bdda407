using Agents.Invocation;
using Agents.Runtime.Catalog;
using Agents.Runtime.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Messaging;

/// <summary>
/// Carries calls made inside the silo process (from grains and from the in-process client) to
/// local activations. Local calls never serialize: mutable arguments are deep-copied by generated
/// code and the request object itself travels to the activation.
/// </summary>
internal sealed class SiloCallRuntime : IGrainCallRuntime
{
    private readonly GrainCatalog _catalog;
    private readonly IOutgoingGrainCallFilter[] _outgoingFilters;
    private readonly Action<GrainRequest> _deliver;

    public SiloCallRuntime(GrainCatalog catalog, IServiceProvider services)
    {
        _catalog = catalog;
        _outgoingFilters = services.GetServices<IOutgoingGrainCallFilter>().ToArray();
        _deliver = Deliver;
    }

    public void SendRequest(GrainReference target, GrainRequest request)
    {
        request.TargetId = target.GrainId;
        request.TargetReference = target;

        var method = request.Method;
        request.CallContext = CaptureCallContext(method.IsOneWay);
        if (method.IsOneWay)
        {
            request.ReleaseCaller();
        }
        else
        {
            var timeout = method.ResponseTimeout ?? _catalog.Options.ResponseTimeout;
            request.Timeout = timeout;
            _catalog.PendingCalls.Track(request, timeout);
            request.RegisterCancellation();
        }

        // Copied even when the call turns out to be remote: routing decides later, and a remote
        // request is serialized later still, on the connection's writer; the copy keeps a caller
        // that mutates an argument after the call from changing what is sent.
        try
        {
            request.CopyArguments();
        }
        catch (Exception exception)
        {
            _catalog.FailUndelivered(request, exception);
            return;
        }

        if (_outgoingFilters.Length > 0)
        {
            OutgoingCallContext.Run(request, _outgoingFilters, _deliver, _catalog);
        }
        else
        {
            Deliver(request);
        }
    }

    /// <summary>To the local catalog, or through the cluster's router when the silo is in a cluster.</summary>
    private void Deliver(GrainRequest request)
    {
        if (_catalog.Cluster is { } cluster)
        {
            cluster.Route(request);
        }
        else
        {
            _catalog.Deliver(request);
        }
    }

    /// <summary>
    /// The request context plus, when called from a grain, a call chain that ends with that grain.
    /// One-way calls carry no chain: nothing waits on them, so they can never close a cycle.
    /// </summary>
    private static CallContextData? CaptureCallContext(bool oneWay)
    {
        var data = RequestContext.CurrentData;
        if (oneWay)
        {
            return data?.Chain is null ? data : data.Items is null ? null : new CallContextData(data.Items, null);
        }

        var caller = RuntimeContext.Current;
        if (caller is null)
        {
            return data;
        }

        return new CallContextData(data?.Items, caller.GetOutgoingLink(data?.Chain));
    }
}
