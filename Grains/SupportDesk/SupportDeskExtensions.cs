using Agents.Hosting;

namespace Agents.SupportDesk;

/// <summary>The support desk's code-defined agents, for the default topology (<c>agents.yaml</c> in this folder).</summary>
public static class SupportDeskExtensions
{
    /// <summary>The file name of the default topology, copied beside the Silo binary.</summary>
    public const string TopologyFile = "agents.yaml";

    /// <summary>Registers the agent types the support-desk topology implements in code (<c>triage</c>).</summary>
    public static AgentsServiceBuilder AddSupportDesk(this AgentsServiceBuilder agents)
    {
        ArgumentNullException.ThrowIfNull(agents);
        return agents.AddAgent<TriageAgent>(TriageAgent.TypeName);
    }
}
