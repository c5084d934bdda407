using System.Text.Json;
using Agents.Agents;
using Agents.Hosting;
using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.Roles;

/// <summary>Test clusters running a topology written in YAML, and the calls role tests make against them.</summary>
internal static class RoleCluster
{
    /// <summary>
    /// A one-silo cluster with memory streams running <paramref name="yaml"/>. Storage is memory, or SQLite in
    /// <paramref name="sqliteFile"/> (so state and reminders survive <see cref="TestCluster.RestartAsync"/>).
    /// </summary>
    public static TestClusterBuilder Builder(
        string yaml,
        Action<AgentsServiceBuilder>? code = null,
        IReadOnlyCollection<string>? codeTypes = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        string? sqliteFile = null)
    {
        var builder = new TestClusterBuilder()
            .ConfigureSilo(silo =>
            {
                silo.AddMemoryStreams("Default");
                if (sqliteFile is null)
                {
                    silo.AddMemoryGrainStorageAsDefault();
                }
                else
                {
                    silo.AddAdoNetProviders();
                }
            })
            .ConfigureServices(services =>
            {
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
                services.AddAgentsService(configuration, agents =>
                {
                    code?.Invoke(agents);
                    agents.UseTopology(TopologyLoader.Load(yaml, "agents.yaml", new TopologyValidationContext(codeTypes ?? [])));
                });
            })
            .AddGrainAssembly(typeof(AgentGrain).Assembly);
        if (sqliteFile is not null)
        {
            builder.WithConfiguration("Agents:Storage:Default:Provider", "Sqlite").WithConfiguration("Agents:Storage:Default:DataSource", sqliteFile)
                .WithConfiguration("Agents:Reminders:Provider", "Sqlite").WithConfiguration("Agents:Reminders:DataSource", sqliteFile);
        }

        return builder;
    }

    public static Task PublishAsync(this TestCluster cluster, Signal signal) =>
        cluster.Client.GetGrain<ISignalPublisherGrain>(0).Publish(signal);

    public static Task<Signal> PublishAsync(this TestCluster cluster, string topic, object? data, string? subject = null) =>
        PublishAsync(cluster, topic, JsonSerializer.Serialize(data, SignalJson.Options), subject);

    public static async Task<Signal> PublishAsync(this TestCluster cluster, string topic, string dataJson, string? subject = null)
    {
        var signal = Signal.Create(topic, dataJson, "/tests", subject);
        await cluster.PublishAsync(signal);
        return signal;
    }

    /// <summary>Asks agent (<paramref name="type"/>, <paramref name="key"/>) and parses the reply.</summary>
    public static async Task<JsonElement> AskAsync(this TestCluster cluster, string type, string key, string request, string bodyJson = "null")
    {
        var reply = await cluster.Client.GetGrain<IAgentGrain>(new AgentId(type, key).GrainKey).Ask(request, bodyJson);
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.Clone();
    }

    public static async Task<T> AskAsync<T>(this TestCluster cluster, string type, string key, string request, string bodyJson = "null") =>
        (await cluster.AskAsync(type, key, request, bodyJson)).Deserialize<T>(SignalJson.Options)!;

    public static Task<AgentSnapshot> DescribeAsync(this TestCluster cluster, string type, string key) =>
        cluster.Client.GetGrain<IAgentGrain>(new AgentId(type, key).GrainKey).Describe();

    /// <summary>What sink (<paramref name="type"/>, <paramref name="key"/>) kept, oldest first.</summary>
    public static Task<List<Signal>> SinkAsync(this TestCluster cluster, string type, string key) =>
        cluster.AskAsync<List<Signal>>(type, key, "recent");
}
