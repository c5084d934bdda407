using Agents.Runtime.Hosting;
using Agents.Silo.Demo;
using Microsoft.Extensions.Options;

// The Agents silo: localhost clustering and SQLite storage under ./data by default; every
// provider can be switched by configuration (appsettings.json, Agents__... environment
// variables, or --Agents:Section:Key=value on the command line).
try
{
    // appsettings.json ships beside the binary; relative paths in it (data/) resolve against the
    // directory the silo is started from.
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
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
