namespace Agents.Runtime.Reminders;

/// <summary>When a reminder's ticks are due: <c>StartAt + k × Period</c> for k = 0, 1, 2, ...</summary>
internal static class ReminderSchedule
{
    /// <summary>
    /// The first due time strictly after <paramref name="after"/> (or <c>StartAt</c> itself when that
    /// is still ahead). Ticks between are skipped, never replayed.
    /// </summary>
    public static DateTimeOffset NextDue(ReminderEntry entry, DateTimeOffset after)
    {
        if (entry.StartAt > after)
        {
            return entry.StartAt;
        }

        var periods = (after - entry.StartAt).Ticks / entry.Period.Ticks + 1;
        return entry.StartAt + TimeSpan.FromTicks(checked(periods * entry.Period.Ticks));
    }

    /// <summary>The latest due time at or before <paramref name="now"/>, or <c>StartAt</c> when that is still ahead.</summary>
    public static DateTimeOffset LatestDue(ReminderEntry entry, DateTimeOffset now)
    {
        if (entry.StartAt >= now)
        {
            return entry.StartAt;
        }

        var periods = (now - entry.StartAt).Ticks / entry.Period.Ticks;
        return entry.StartAt + TimeSpan.FromTicks(checked(periods * entry.Period.Ticks));
    }
}
