using Agents.Agents;

namespace Agents.SupportDesk;

/// <summary>A support ticket as it arrives on <c>tickets.new</c>.</summary>
public sealed record Ticket(string Id, string Customer, string? Priority = null, string? Text = null);

/// <summary>What the triage agent of one customer knows: its tickets by category, open and urgent.</summary>
public sealed class CustomerTickets
{
    /// <summary>Open tickets kept, newest last.</summary>
    public const int OpenKept = 50;

    public int Total { get; set; }

    public int Urgent { get; set; }

    public SortedDictionary<string, int> ByCategory { get; set; } = new(StringComparer.Ordinal);

    public List<string> Open { get; set; } = [];

    public string? LastTicket { get; set; }
}

/// <summary>The body of <c>close</c>: the ticket to close.</summary>
public sealed record CloseTicket(string Ticket);

/// <summary>
/// The support desk's triage agent, one per customer (the default topology keys it by the ticket's
/// customer). It handles tickets the intake router sorted onto <c>triaged.{category}</c>, keeps the
/// customer's tickets durably, raises <c>alerts.urgent</c> for urgent ones, and answers
/// <c>summary</c> and <c>close</c>.
/// </summary>
public sealed class TriageAgent : Agent<CustomerTickets>
{
    /// <summary>The type name the default topology uses.</summary>
    public const string TypeName = "triage";

    protected override void Configure(AgentBehavior agent) => agent
        .On<Ticket>("triaged.*", async (ticket, signal) =>
        {
            var category = signal.Topic["triaged.".Length..];
            State.Total++;
            State.ByCategory[category] = State.ByCategory.GetValueOrDefault(category) + 1;
            State.LastTicket = ticket.Id;
            if (!State.Open.Contains(ticket.Id))
            {
                State.Open.Add(ticket.Id);
                if (State.Open.Count > CustomerTickets.OpenKept)
                {
                    State.Open.RemoveAt(0);
                }
            }

            if (category == "urgent")
            {
                State.Urgent++;
            }

            await SaveStateAsync();
            if (category == "urgent")
            {
                await Context.PublishAsync("alerts.urgent", new { ticket = ticket.Id, customer = Context.Id.Key, text = ticket.Text }, subject: Context.Id.Key);
            }
        })
        .Answer<object?, CustomerTickets>("summary", _ => Task.FromResult(State), "The customer's tickets: total, by category, urgent and open ones.")
        .Answer<CloseTicket, CustomerTickets>("close", async close =>
        {
            if (!State.Open.Remove(close.Ticket))
            {
                throw new AgentRequestException($"Customer {Context.Id.Key} has no open ticket '{close.Ticket}' (open: {(State.Open.Count == 0 ? "none" : string.Join(", ", State.Open))}).");
            }

            await SaveStateAsync();
            return State;
        }, "Closes an open ticket; body { ticket }.");
}
