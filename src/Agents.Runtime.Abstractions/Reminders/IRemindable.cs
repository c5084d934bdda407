namespace Agents;

/// <summary>
/// A grain that receives reminder ticks. Reminders are durable schedules: they are kept in the
/// silo's reminder table, survive deactivation, silo restarts and silo deaths, and each tick
/// activates the grain if it is not active. Register one from the grain with
/// <see cref="GrainReminderExtensions.RegisterOrUpdateReminder"/>.
/// </summary>
public interface IRemindable
{
    /// <summary>
    /// One tick of the reminder named <paramref name="reminderName"/>. It runs as a turn of the grain,
    /// like a request. Throwing is logged and does not stop the reminder: the next tick comes on
    /// schedule.
    /// </summary>
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>Where a reminder tick sits in its schedule.</summary>
/// <param name="FirstTickTime">When the reminder's first tick was due (registration time plus due time).</param>
/// <param name="Period">The time between ticks.</param>
/// <param name="CurrentTickTime">When this tick was due (its delivery may come a little later).</param>
public readonly record struct TickStatus(DateTimeOffset FirstTickTime, TimeSpan Period, DateTimeOffset CurrentTickTime);

/// <summary>A registered reminder, as its grain sees it. Pass it to <see cref="GrainReminderExtensions.UnregisterReminder(IGrainBase, IGrainReminder)"/> to stop it.</summary>
public interface IGrainReminder
{
    /// <summary>The reminder's name, unique per grain.</summary>
    string ReminderName { get; }
}

/// <summary>A reminder operation could not be carried out: what was wrong, and about which reminder.</summary>
public sealed class ReminderException : AgentsException
{
    public ReminderException(string message)
        : base(message)
    {
    }

    public ReminderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
