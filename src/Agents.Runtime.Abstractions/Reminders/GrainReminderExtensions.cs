using Agents.Timers;

namespace Agents;

/// <summary>Reminder operations for grains: <c>await this.RegisterOrUpdateReminder("name", due, period)</c>.</summary>
public static class GrainReminderExtensions
{
    /// <summary>
    /// Creates or replaces this grain's reminder <paramref name="reminderName"/>: its first tick comes
    /// after <paramref name="dueTime"/>, then one every <paramref name="period"/>, delivered to
    /// <see cref="IRemindable.ReceiveReminder"/> whether or not the grain is active. The reminder is
    /// durable once the returned task completes. Ticks missed while no silo could deliver them are
    /// skipped, not replayed: the schedule resumes at its next due time.
    /// </summary>
    /// <exception cref="ReminderException">The grain does not implement <see cref="IRemindable"/>, the name or times are invalid, or the table refused the write.</exception>
    public static Task<IGrainReminder> RegisterOrUpdateReminder(this IGrainBase grain, string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(grain);
        if (grain is not IRemindable)
        {
            throw new ReminderException(
                $"Grain {grain.GrainContext.GrainId} ({grain.GetType().FullName}) registered reminder '{reminderName}' but does not implement IRemindable, " +
                "so it could never receive the ticks. Implement IRemindable.ReceiveReminder on the grain class.");
        }

        return Registry(grain).RegisterOrUpdateReminder(grain.GrainContext.GrainId, reminderName, dueTime, period);
    }

    /// <summary>Stops and removes one of this grain's reminders.</summary>
    public static Task UnregisterReminder(this IGrainBase grain, IGrainReminder reminder)
    {
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(reminder);
        return Registry(grain).UnregisterReminder(grain.GrainContext.GrainId, reminder);
    }

    /// <summary>Stops and removes this grain's reminder named <paramref name="reminderName"/>, if it has one; false if not.</summary>
    public static Task<bool> UnregisterReminder(this IGrainBase grain, string reminderName)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return Registry(grain).UnregisterReminder(grain.GrainContext.GrainId, reminderName);
    }

    /// <summary>This grain's reminder named <paramref name="reminderName"/>, or null if it has none.</summary>
    public static Task<IGrainReminder?> GetReminder(this IGrainBase grain, string reminderName)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return Registry(grain).GetReminder(grain.GrainContext.GrainId, reminderName);
    }

    /// <summary>All of this grain's reminders.</summary>
    public static Task<IReadOnlyList<IGrainReminder>> GetReminders(this IGrainBase grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return Registry(grain).GetReminders(grain.GrainContext.GrainId);
    }

    private static IReminderRegistry Registry(IGrainBase grain) =>
        (IReminderRegistry?)grain.GrainContext.ActivationServices.GetService(typeof(IReminderRegistry))
        ?? throw new ReminderException(
            $"Grain {grain.GrainContext.GrainId} used a reminder, but this silo has no reminder service. " +
            "Configure one: Agents:Reminders:Provider = Memory, Sqlite or Postgres, or silo.UseInMemoryReminderService() in code.");
}
