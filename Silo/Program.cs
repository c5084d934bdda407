using Agents.Runtime.Hosting;
using Agents.Silo.Demo;
using Microsoft.Extensions.Options;

// The Agents silo: localhost clustering and SQLite storage under ./data by default; every
// provider can be switched by configuration (appsettings.json, Agents__... environment
// variables, or --Agents:Section:Key=value on the command line).
try
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.UseAgentsSilo(silo => silo.AddAdoNetProviders());
    builder.Services.AddDemoWorkload(builder.Configuration);
    // RunAsync stops the silo gracefully on Ctrl+C / SIGTERM, then disposes the host.
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception error) when (error is AgentsConfigurationException or OptionsValidationException)
{
    Console.Error.WriteLine($"agents: configuration error: {error.Message}");
    return 1;
}
