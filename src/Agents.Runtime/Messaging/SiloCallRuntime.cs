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
        _deliver = catalog.Deliver;
    }

    public void SendRequest(GrainReference target, GrainRequest request)
    {
        request.TargetId = target.GrainId;
        request.TargetReference = target;
        request.CallContext = CaptureCallContext();

        var method = request.Method;
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
            OutgoingCallContext.Run(request, _outgoingFilters, _deliver);
        }
        else
        {
            _catalog.Deliver(request);
        }
    }

    /// <summary>The request context plus, when called from a grain, a call chain that ends with that grain.</summary>
    private static CallContextData? CaptureCallContext()
    {
        var data = RequestContext.CurrentData;
        var caller = RuntimeContext.Current;
        if (caller is null)
        {
            return data;
        }

        return new CallContextData(data?.Items, new CallChainLink(caller.GrainId, data?.Chain));
    }
}
