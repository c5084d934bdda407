using Agents.Invocation;
using Agents.Runtime.Messaging;

namespace Agents.Runtime.Catalog;

internal sealed partial class GrainCatalog
{
    /// <summary>Runs a request through the incoming filters; the slow path, taken only when filters exist.</summary>
    public void InvokeWithFilters(ActivationData activation, GrainRequest request, object grain) =>
        IncomingCallContext.Run(activation, request, grain, _incomingFilters);
}
