namespace Agents.Timers;

/// <summary>
/// The silo's reminder operations on behalf of one grain. Grains use the extension methods in
/// <see cref="GrainReminderExtensions"/>; the runtime provides this service when reminders are
/// configured (<c>Agents:Reminders</c>).
/// </summary>
public interface IReminderRegistry
{
    /// <summary>
    /// Creates or replaces the reminder <paramref name="reminderName"/> of <paramref name="grain"/>: first
    /// tick after <paramref name="dueTime"/>, then every <paramref name="period"/>. Durable when it returns.
    /// </summary>
    Task<IGrainReminder> RegisterOrUpdateReminder(GrainId grain, string reminderName, TimeSpan dueTime, TimeSpan period);

    /// <summary>Removes the reminder; no tick starts after this returns on the silo that ticks it (one in flight may finish).</summary>
    Task UnregisterReminder(GrainId grain, IGrainReminder reminder);

    /// <summary>Removes the grain's reminder named <paramref name="reminderName"/>, whatever its schedule now; false if it had none.</summary>
    Task<bool> UnregisterReminder(GrainId grain, string reminderName);

    /// <summary>The grain's reminder of that name, or null.</summary>
    Task<IGrainReminder?> GetReminder(GrainId grain, string reminderName);

    /// <summary>All of the grain's reminders.</summary>
    Task<IReadOnlyList<IGrainReminder>> GetReminders(GrainId grain);
}
