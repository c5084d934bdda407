using Agents.Silo.Cli;
using Agents.Silo.Hosting;

// The one Agents binary. With no verb (or `run`) it runs a silo: localhost clustering, SQLite under
// ./data and the support-desk topology in agents.yaml by default, every provider switchable by
// configuration (appsettings.json, Agents__... environment variables, --Agents:Section:Key=value).
// With a verb (send, ask, tail, status) it is the CLI of a running silo's HTTP API.
return AgentsCli.IsCliVerb(args)
    ? await AgentsCli.RunAsync(args)
    : await SiloApp.RunAsync(args is ["run", .. var rest] ? rest : args);
