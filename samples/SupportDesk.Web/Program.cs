using Agents.Client;

// A web app in front of the support desk: it files tickets as signals, shows a customer's tickets
// by asking their triage agent, and asks the helpdesk LLM agent questions, all through the client
// SDK connected to a silo's gateway (Agents:Client:Gateways in appsettings.json).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAgentsClient();
var app = builder.Build();

app.MapPost("/tickets", async (NewTicket ticket, IAgentsClient agents, CancellationToken cancel) =>
{
    if (string.IsNullOrWhiteSpace(ticket.Customer))
    {
        return Results.Problem(detail: "A ticket needs a customer.", statusCode: StatusCodes.Status400BadRequest);
    }

    var id = ticket.Id ?? $"T-{Guid.NewGuid().ToString("N")[..8]}";
    var signalId = await agents.PublishAsync("tickets.new", ticket with { Id = id }, subject: ticket.Customer, cancellationToken: cancel);
    return Results.Accepted($"/customers/{Uri.EscapeDataString(ticket.Customer)}", new { ticket = id, signal = signalId });
});

app.MapGet("/customers/{customer}", async (string customer, IAgentsClient agents, CancellationToken cancel) =>
    Results.Json(await agents.AskAsync("triage", customer, request: "summary", cancellationToken: cancel)));

app.MapPost("/questions", async (Question question, IAgentsClient agents, CancellationToken cancel) =>
    Results.Json(await agents.AskAsync("helpdesk", question.Conversation ?? "web", new { question = question.Text, conversation = question.Conversation }, "ask", cancel)));

app.MapGet("/agent-types", async (IAgentsClient agents, CancellationToken cancel) =>
    Results.Json((await agents.GetAgentTypesAsync(cancel)).Select(t => new { t.Type, t.Role, t.Topics, requests = t.Requests.Keys })));

await app.RunAsync();

/// <summary>A ticket as the web form sends it.</summary>
internal sealed record NewTicket(string Customer, string? Priority, string? Text, string? Id = null);

/// <summary>A question for the helpdesk agent.</summary>
internal sealed record Question(string Text, string? Conversation = null);

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
