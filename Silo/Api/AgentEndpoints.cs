using Agents.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agents.Silo.Api;

/// <summary>
/// <c>/api/agents</c>: ask an agent, describe one, list the agent types with their counts, and the
/// dead letters. An unknown agent type is answered 404 naming it, before any grain is touched.
/// </summary>
internal static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/agents/{type}/{key}/ask", (string type, string key, string? request, HttpContext context, IClusterClient client, AgentTypeRegistry registry) =>
            AskAsync(type, key, request, context, client, registry));
        api.MapPost("/agents/{type}/{key}/ask/{request}", (string type, string key, string request, HttpContext context, IClusterClient client, AgentTypeRegistry registry) =>
            AskAsync(type, key, request, context, client, registry));
        api.MapGet("/agents/{type}/{key}", DescribeAsync);
        api.MapGet("/agents", ListAsync);
        api.MapGet("/dead-letters", DeadLettersAsync);
    }

    private static async Task<IResult> AskAsync(string type, string key, string? request, HttpContext context, IClusterClient client, AgentTypeRegistry registry)
    {
        if (UnknownType(type, registry, context) is { } unknown)
        {
            return unknown;
        }

        var (body, problem) = await JsonBody.ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        var agent = new AgentId(type, key);
        try
        {
            var reply = await client.GetGrain<IAgentGrain>(agent.GrainKey).Ask(request ?? "", body!);
            return Results.Text(reply, "application/json");
        }
        catch (Exception error)
        {
            return Problems.FromCallFailure(error, $"Agent {agent} ({(string.IsNullOrEmpty(request) ? "its default request" : $"request '{request}'")})", context);
        }
    }

    private static async Task<IResult> DescribeAsync(string type, string key, HttpContext context, IClusterClient client, AgentTypeRegistry registry)
    {
        if (UnknownType(type, registry, context) is { } unknown)
        {
            return unknown;
        }

        var agent = new AgentId(type, key);
        try
        {
            var snapshot = await client.GetGrain<IAgentGrain>(agent.GrainKey).Describe();
            return Results.Text(ApiJson.Describe(snapshot), "application/json");
        }
        catch (Exception error)
        {
            return Problems.FromCallFailure(error, $"Agent {agent}", context);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, AgentCensus census, AgentCapabilities capabilities)
    {
        var counts = await census.CountAsync(context.RequestAborted);
        return Results.Json(new
        {
            types = capabilities.All.Select(c => new
            {
                type = c.Type,
                role = c.Role,
                active = counts.Active.GetValueOrDefault(c.Type),
                topics = c.Topics,
                routes = c.Routes.Select(r => new { topic = r.Topic, key = r.Key }),
                requests = c.Requests,
            }),
            active = counts.Active.Values.Sum(),
            unreachableSilos = counts.Unreachable,
        }, ApiJson.Options);
    }

    private static async Task<IResult> DeadLettersAsync(HttpContext context, IClusterClient client, int? max)
    {
        if (max is < 0)
        {
            return Problems.BadRequest($"max must be 0 or more (was {max}).", context);
        }

        var letters = await client.GetGrain<IDeadLetterGrain>(DeadLetterGrain.Key).List(max ?? 100);
        return Results.Json(letters.Select(l => new
        {
            agent = l.Agent,
            attempts = l.Attempts,
            errorType = l.ErrorType,
            errorMessage = l.ErrorMessage,
            at = l.At,
            signal = ApiJson.SignalView(l.Signal),
        }), ApiJson.Options);
    }

    private static IResult? UnknownType(string type, AgentTypeRegistry registry, HttpContext context) =>
        registry.Contains(type)
            ? null
            : Problems.NotFound($"There is no agent type '{type}' (known types: {string.Join(", ", registry.TypeNames)}).", context);
}
