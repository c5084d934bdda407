using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Catalog;

/// <summary>The catalog's log messages, source-generated.</summary>
internal sealed partial class CatalogLog(ILogger logger)
{
    private readonly ILogger _logger = logger;

    [LoggerMessage(1000, LogLevel.Debug, "Activated {GrainId}")]
    public partial void Activated(GrainId grainId);

    [LoggerMessage(1001, LogLevel.Warning, "Activation of {GrainId} failed; the calls waiting for it get the exception")]
    public partial void ActivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1002, LogLevel.Debug, "Deactivated {GrainId} ({Reason})")]
    public partial void Deactivated(GrainId grainId, DeactivationReason reason);

    [LoggerMessage(1003, LogLevel.Warning, "OnDeactivateAsync of {GrainId} failed or timed out; the activation was removed anyway")]
    public partial void DeactivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "One-way call {Method} to {GrainId} failed")]
    public partial void OneWayCallFailed(string method, GrainId grainId, Exception exception);

    [LoggerMessage(1005, LogLevel.Error, "Scheduler fault in activation {GrainId}; the activation keeps running")]
    public partial void SchedulerFault(GrainId grainId, Exception exception);

    [LoggerMessage(1006, LogLevel.Debug, "Idle collection deactivating {Count} activations")]
    public partial void CollectedIdle(int count);

    [LoggerMessage(1007, LogLevel.Information, "Shutting down: deactivating {Count} activations")]
    public partial void ShuttingDown(int count);

    [LoggerMessage(1008, LogLevel.Warning, "Shutdown timed out after {Timeout} with {Count} activations left (Agents:Silo:ShutdownTimeout)")]
    public partial void ShutdownTimedOut(int count, TimeSpan timeout);

    [LoggerMessage(1009, LogLevel.Warning, "Timer tick of {GrainId} failed")]
    public partial void TimerTickFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1010, LogLevel.Debug, "Activation of {GrainId} lost the directory registration to {Winner}; its calls go there")]
    public partial void LostRegistration(GrainId grainId, GrainDirectory.GrainAddress winner);
}
