namespace Agents.Runtime.GrainDirectory;

/// <summary>Where one activation of a grain lives: its silo, and an id that tells this activation from a later one.</summary>
public readonly record struct GrainAddress(GrainId GrainId, SiloAddress Silo, Guid ActivationId)
{
    public override string ToString() => $"{GrainId} on {Silo} ({ActivationId:N})";
}
