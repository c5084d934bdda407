using Agents.Runtime.Hosting;
using Agents.Agents;
using Agents.Topology;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agents.Hosting;

/// <summary>Finds and loads the topology file named by configuration.</summary>
internal static class TopologyFiles
{
    public static AgentTopology Load(string file, IServiceProvider services)
    {
        var path = Path.IsPathRooted(file) || services.GetService<IHostEnvironment>() is not { } environment
            ? file
            : Path.Combine(environment.ContentRootPath, file);
        if (!File.Exists(path))
        {
            throw new AgentsConfigurationException($"{AgentServiceOptions.SectionName}:TopologyFile names '{file}', which does not exist (looked for {Path.GetFullPath(path)}).");
        }

        var codeTypes = services.GetServices<AgentRegistration>().Select(r => r.Name).ToArray();
        return TopologyLoader.LoadFile(path, new TopologyValidationContext(codeTypes));
    }
}
