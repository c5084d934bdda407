using System.Text.Json;

namespace Agents.Tests.Shared;

/// <summary>
/// A batch of support tickets for the default topology (Grains/SupportDesk/agents.yaml) and what it
/// must leave behind, shared by the in-process test and the three-process cluster test so both
/// check the same results.
/// </summary>
internal static class SupportDeskScenario
{
    public static readonly string[] Customers = ["alice", "bob", "carol"];

    /// <summary>20 tickets: customer i % 3; every 4th urgent, every 5th (not urgent) about a refund.</summary>
    public static IReadOnlyList<(string Id, string Customer, string Priority, string Text)> Tickets { get; } =
        [.. Enumerable.Range(1, 20).Select(i => (
            $"T-{i:00}",
            Customers[i % 3],
            i % 4 == 0 ? "high" : "normal",
            i % 5 == 0 ? $"please refund order {i}" : $"question {i}"))];

    /// <summary>The category the intake router gives a ticket (rules in file order: high → urgent, refund → billing, else general).</summary>
    public static string CategoryOf((string Id, string Customer, string Priority, string Text) ticket) =>
        ticket.Priority == "high" ? "urgent" : ticket.Text.Contains("refund", StringComparison.OrdinalIgnoreCase) ? "billing" : "general";

    /// <summary>The ticket as the data of a tickets.new signal.</summary>
    public static object Data((string Id, string Customer, string Priority, string Text) ticket) =>
        new { id = ticket.Id, customer = ticket.Customer, priority = ticket.Priority, text = ticket.Text };

    /// <summary>What the triage agent of <paramref name="customer"/> must report: total, urgent, and count by category.</summary>
    public static (int Total, int Urgent, SortedDictionary<string, int> ByCategory) Expected(string customer)
    {
        var mine = Tickets.Where(t => t.Customer == customer).ToArray();
        var byCategory = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var ticket in mine)
        {
            var category = CategoryOf(ticket);
            byCategory[category] = byCategory.GetValueOrDefault(category) + 1;
        }

        return (mine.Length, mine.Count(t => CategoryOf(t) == "urgent"), byCategory);
    }

    /// <summary>Checks a triage summary (the JSON reply of its <c>summary</c> request) against <see cref="Expected"/>.</summary>
    public static bool Matches(string customer, JsonElement summary)
    {
        var (total, urgent, byCategory) = Expected(customer);
        var actual = summary.GetProperty("byCategory").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        return summary.GetProperty("total").GetInt32() == total
            && summary.GetProperty("urgent").GetInt32() == urgent
            && actual.Count == byCategory.Count
            && byCategory.All(c => actual.GetValueOrDefault(c.Key) == c.Value);
    }

    /// <summary>Urgent tickets in all: each raises one alerts.urgent.</summary>
    public static int UrgentTotal => Tickets.Count(t => CategoryOf(t) == "urgent");
}
