namespace Agents.Agents;

/// <summary>Answers for the capability registry on every silo. See <see cref="IAgentTypesGrain"/>.</summary>
[GrainType("agent-types")]
[StatelessWorker]
public sealed class AgentTypesGrain(AgentCapabilities capabilities) : Grain, IAgentTypesGrain
{
    public Task<AgentCapability[]> List() => Task.FromResult(capabilities.All.ToArray());
}
