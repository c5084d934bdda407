using Agents.Agents;
using Agents.Runtime.Testing;
using Agents.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Grains.Tests.Roles;

/// <summary>The capability registry describes every agent type of the topology without activating any.</summary>
public sealed class AgentCapabilitiesTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          orders: {}
          chat:
            role: llm
            settings: { systemPrompt: Hi., tools: [orders] }
          desk:
            role: router
            settings: { rules: [], otherwise: tickets.all }
          counts:
            role: aggregator
            settings: { window: { count: 2 }, emit: counts.done }
          recent:
            role: sink
        routes:
          - topic: orders.*
            agent: orders
            key: { json: $.order }
          - topic: inbox.#
            agent: desk
            key: subject
          - topic: tickets.all
            agent: recent
            key: { fixed: all }
          - topic: orders.cancelled
            agent: recent
            key: { fixed: all }
        """;

    private readonly TestCluster _cluster = RoleCluster.Builder(Yaml, agents => agents.AddAgent<OrderDeskAgent>("orders"), codeTypes: ["orders"]).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public void Every_type_is_described_with_its_role_topics_and_requests()
    {
        var capabilities = _cluster.Services.GetRequiredService<AgentCapabilities>();
        var activations = _cluster.ActivationCount;

        Assert.Equal(["chat", "counts", "desk", "orders", "recent"], capabilities.All.Select(c => c.Type));
        Assert.Equal([("chat", "llm"), ("counts", "aggregator"), ("desk", "router"), ("orders", null), ("recent", "sink")], capabilities.All.Select(c => (c.Type, c.Role)));

        var orders = capabilities.Find("orders")!;
        Assert.Empty(orders.Topics);
        Assert.Equal(["cancel", "status"], orders.Requests.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("The status of the order whose id is the key.", orders.Requests["status"]);
        Assert.Equal("", orders.Requests["cancel"]);

        Assert.Equal(["#"], capabilities.Find("chat")!.Topics.ToArray());
        Assert.Equal(["ask", "history", "reset"], capabilities.Find("chat")!.Requests.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["stats"], capabilities.Find("desk")!.Requests.Keys);
        Assert.Equal(["current", "summaries"], capabilities.Find("counts")!.Requests.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["recent"], capabilities.Find("recent")!.Requests.Keys);
        Assert.Null(capabilities.Find("nosuch"));

        // The routes say what each type is given (a role's handlers match everything), in file order, with their key rules.
        Assert.Equal([("orders.*", "json $.order")], orders.Routes.Select(r => (r.Topic, r.Key)));
        Assert.Equal([("inbox.#", "subject")], capabilities.Find("desk")!.Routes.Select(r => (r.Topic, r.Key)));
        Assert.Equal([("tickets.all", "fixed all"), ("orders.cancelled", "fixed all")], capabilities.Find("recent")!.Routes.Select(r => (r.Topic, r.Key)));
        Assert.Empty(capabilities.Find("chat")!.Routes);
        Assert.Equal(activations, _cluster.ActivationCount);
    }

    [Fact]
    public void A_capability_crosses_the_wire()
    {
        var chat = _cluster.Services.GetRequiredService<AgentCapabilities>().Find("chat")!;

        var copy = Serializer.Deserialize<AgentCapability>(Serializer.SerializeToArray(chat));

        Assert.Equal((chat.Type, chat.Role), (copy.Type, copy.Role));
        Assert.Equal(chat.Topics.ToArray(), copy.Topics.ToArray());
        var recent = _cluster.Services.GetRequiredService<AgentCapabilities>().Find("recent")!;
        Assert.Equal(recent.Routes, Serializer.Deserialize<AgentCapability>(Serializer.SerializeToArray(recent)).Routes);
        Assert.Equal(chat.Requests.OrderBy(r => r.Key, StringComparer.Ordinal), copy.Requests.OrderBy(r => r.Key, StringComparer.Ordinal));
    }
}
