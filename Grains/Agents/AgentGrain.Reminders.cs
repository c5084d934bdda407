using Agents.Runtime.Reminders;
using Microsoft.Extensions.Logging;

namespace Agents.Agents;

/*
 * Agent reminders: durable schedules an agent sets through its context (Context.SetReminderAsync)
 * and handles with AgentBehavior.OnReminder. A tick activates the agent if it is not active, runs
 * as one turn like a signal, and never interleaves with the agent's signals or asks.
 *
 * Invariants
 *  - A tick whose handler throws is logged with the agent's id, its unsaved state changes are
 *    discarded (the state is reloaded from the last save, as after a failed signal attempt), and
 *    the reminder goes on: the next tick comes on schedule. Ticks are not retried or dead-lettered:
 *    the next tick is the retry.
 *  - A tick for a reminder the agent type no longer handles (its code changed) unregisters that
 *    reminder, with a warning, rather than waking the agent forever.
 */
public sealed partial class AgentGrain : IRemindable
{
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var (agent, behavior) = Attached();
        if (!behavior.TryGetReminder(reminderName, out var handler))
        {
            LogOrphanReminder(_logger, _id, reminderName);
            await this.UnregisterReminder(reminderName);
            return;
        }

        try
        {
            await handler(new AgentReminderTick(reminderName, status.CurrentTickTime, status.Period, status.FirstTickTime));
        }
        catch (Exception ex)
        {
            agent.LoadState(_record.State.State);
            LogReminderFailed(_logger, ex, _id, reminderName, status.CurrentTickTime + status.Period);
        }
    }

    internal Task SetAgentReminderAsync(string name, TimeSpan dueTime, TimeSpan period)
    {
        var (_, behavior) = Attached();
        return behavior.TryGetReminder(name, out _)
            ? this.RegisterOrUpdateReminder(name, dueTime, period)
            : throw new ReminderException(
                $"Agent {_id} set reminder '{name}', but its type handles no reminder of that name" +
                (behavior.Reminders.Count == 0 ? "" : $" (it handles: {string.Join(", ", behavior.Reminders.Order(StringComparer.Ordinal))})") +
                ". Declare it in Configure with OnReminder(\"" + name + "\", ...).");
    }

    internal Task<bool> CancelAgentReminderAsync(string name) => this.UnregisterReminder(name);

    /// <summary>The agent's reminders with their next due times; empty (logged) when the table cannot be read, so a description never fails for it.</summary>
    private async Task<AgentReminderInfo[]> DescribeRemindersAsync()
    {
        try
        {
            var now = _time.GetUtcNow();
            return [.. (await this.GetReminders())
                .OfType<GrainReminder>()
                .Select(r => new AgentReminderInfo { Name = r.ReminderName, Period = r.Entry.Period, NextDueAt = r.Entry.NextDueAfter(now) })];
        }
        catch (AgentsException ex)
        {
            LogRemindersUnreadable(_logger, _id, ex.Message);
            return [];
        }
    }

    [LoggerMessage(4122, LogLevel.Debug, "Agent {Agent} described itself without its reminders: {Reason}")]
    private static partial void LogRemindersUnreadable(ILogger logger, AgentId agent, string reason);

    [LoggerMessage(4120, LogLevel.Warning, "Agent {Agent} got a tick of reminder '{ReminderName}' but its type has no OnReminder handler for it; the reminder is unregistered")]
    private static partial void LogOrphanReminder(ILogger logger, AgentId agent, string reminderName);

    [LoggerMessage(4121, LogLevel.Warning, "Agent {Agent}'s handler of reminder '{ReminderName}' failed; its unsaved changes are discarded and the next tick comes at {NextTick:O}")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, AgentId agent, string reminderName, DateTimeOffset nextTick);
}

/// <summary>One tick of an agent's reminder.</summary>
/// <param name="Name">The reminder's name.</param>
/// <param name="DueAt">When this tick was due (it may run a little later).</param>
/// <param name="Period">The time between ticks.</param>
/// <param name="FirstDueAt">When the reminder's first tick was due.</param>
public sealed record AgentReminderTick(string Name, DateTimeOffset DueAt, TimeSpan Period, DateTimeOffset FirstDueAt);
