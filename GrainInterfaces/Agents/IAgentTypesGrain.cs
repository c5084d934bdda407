namespace Agents.Agents;

/// <summary>
/// The cluster's capability registry, for callers outside the silos (the client SDK): every agent
/// type with its role, the topics it handles and the requests it answers. A stateless worker on
/// every silo (use key 0); every silo answers the same, since they run the same code and topology.
/// </summary>
[DefaultGrainType("agent-types")]
public interface IAgentTypesGrain : IGrainWithIntegerKey
{
    [ReadOnly]
    Task<AgentCapability[]> List();
}
