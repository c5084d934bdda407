using System.Collections.Concurrent;
using Agents.Agents;

namespace Agents.Grains.Tests.Agents;

public sealed record Ticket(string Id, string Priority, string Text);

public sealed class TriageState
{
    public List<string> Tickets { get; set; } = [];

    public Dictionary<string, int> ByPriority { get; set; } = [];
}

public sealed record TriageSummary(int Count, Dictionary<string, int> ByPriority);

/// <summary>Keeps one customer's tickets; publishes urgent ones.</summary>
public sealed class TriageAgent : Agent<TriageState>
{
    protected override void Configure(AgentBehavior agent) => agent
        .On<Ticket>("tickets.*", async (ticket, signal) =>
        {
            State.Tickets.Add(ticket.Id);
            State.ByPriority[ticket.Priority] = State.ByPriority.GetValueOrDefault(ticket.Priority) + 1;
            await SaveStateAsync();
            if (ticket.Priority == "high")
            {
                await Context.PublishAsync("alerts.urgent", new { ticket = ticket.Id, customer = Context.Id.Key }, subject: Context.Id.Key);
            }
        })
        .Answer<object?, TriageSummary>("summary", _ => Task.FromResult(new TriageSummary(State.Tickets.Count, State.ByPriority)));
}

/// <summary>Records what reaches it, in order; fails on signals whose data says so.</summary>
public sealed class RecorderAgent : Agent
{
    public static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> Seen = new();
    public static readonly ConcurrentDictionary<string, int> Attempts = new();

    protected override void Configure(AgentBehavior agent) => agent
        .On<Order>("#", (order, signal) =>
        {
            Attempts.AddOrUpdate(signal.Id, 1, (_, n) => n + 1);
            if (order.Poison)
            {
                throw new InvalidOperationException($"order {order.Id} is poisoned");
            }

            Seen.GetOrAdd(Context.Id.GrainKey, _ => new ConcurrentQueue<string>()).Enqueue($"{signal.Topic}:{order.Id}");
            return Task.CompletedTask;
        })
        .Answer<object?, int>("fail", _ => throw new InvalidOperationException("asked to fail"))
        .Answer<object?, string>("ping", _ => Task.FromResult("pong"));
}

public sealed record Order(string Id, Customer? Customer = null, bool Poison = false);

public sealed record Customer(string Id);

public sealed record PingPlan(string Name, TimeSpan Due, TimeSpan Period);

public sealed class PingState
{
    public int Ticks { get; set; }

    public List<DateTimeOffset> DueTimes { get; set; } = [];

    public int Failures { get; set; }
}

/// <summary>Sets reminders when asked and counts their ticks in its state; ticks of "fail" change state, then throw.</summary>
public sealed class PingerAgent : Agent<PingState>
{
    protected override void Configure(AgentBehavior agent) => agent
        .Answer<PingPlan, bool>("start", async plan =>
        {
            await Context.SetReminderAsync(plan.Name, plan.Due, plan.Period);
            return true;
        })
        .Answer<string, bool>("stop", name => Context.CancelReminderAsync(name))
        .Answer<object?, PingState>("state", _ => Task.FromResult(State))
        .OnReminder("ping", async tick =>
        {
            State.Ticks++;
            State.DueTimes.Add(tick.DueAt);
            await SaveStateAsync();
        })
        .OnReminder("fail", _ =>
        {
            State.Failures++; // unsaved: a failed tick's changes are discarded
            throw new InvalidOperationException("the fail reminder always fails");
        });
}

/// <summary>Records the order signals reach it; a signal whose data is 1 waits for <see cref="Gate"/> first.</summary>
public sealed class GatedAgent : Agent
{
    public static readonly ConcurrentQueue<int> Handled = new();
    public static TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override void Configure(AgentBehavior agent) => agent
        .On<int>("gated.#", async (n, _) =>
        {
            if (n == 1)
            {
                await Gate.Task;
            }

            Handled.Enqueue(n);
        });
}
