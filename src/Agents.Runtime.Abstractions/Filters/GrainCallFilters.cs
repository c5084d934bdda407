using Agents.Invocation;

namespace Agents;

/// <summary>A call seen by a filter. <see cref="Invoke"/> runs the rest of the pipeline; filters may read or replace <see cref="Result"/>.</summary>
public interface IGrainCallContext
{
    /// <summary>The request: method and arguments.</summary>
    GrainRequest Request { get; }

    GrainMethodDescriptor Method { get; }

    GrainId TargetId { get; }

    /// <summary>The calling grain, when the call comes from a grain.</summary>
    GrainId? SourceId { get; }

    /// <summary>The result once <see cref="Invoke"/> completed; settable to replace it.</summary>
    object? Result { get; set; }

    /// <summary>Runs the next filter, or the call itself.</summary>
    Task Invoke();
}

/// <summary>A call arriving at a grain, inside the grain's turn.</summary>
public interface IIncomingGrainCallContext : IGrainCallContext
{
    /// <summary>The grain instance being called.</summary>
    object Grain { get; }
}

/// <summary>A call leaving a grain or client, before it is sent.</summary>
public interface IOutgoingGrainCallContext : IGrainCallContext
{
}

/// <summary>Runs around every call delivered to a grain on this silo (authorization, telemetry, logging).</summary>
public interface IIncomingGrainCallFilter
{
    Task Invoke(IIncomingGrainCallContext context);
}

/// <summary>Runs around every call made from this silo or client.</summary>
public interface IOutgoingGrainCallFilter
{
    Task Invoke(IOutgoingGrainCallContext context);
}
