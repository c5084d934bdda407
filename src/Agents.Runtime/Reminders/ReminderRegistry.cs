using System.Globalization;
using Agents.Timers;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Reminders;

/// <summary>
/// Reminder operations on behalf of grains: each writes the table first (so it is durable when the
/// call returns), then tells the silo that ticks the grain's reminders to read them again.
/// </summary>
internal sealed class ReminderRegistry(IReminderTable table, ReminderService service, IOptions<ReminderOptions> options, TimeProvider time) : IReminderRegistry
{
    private const int RemoveAttempts = 3;

    private readonly ReminderOptions _options = options.Value;

    public async Task<IGrainReminder> RegisterOrUpdateReminder(GrainId grain, string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        ReminderEntry.ValidateName(grain, reminderName);
        if (dueTime < TimeSpan.Zero || dueTime > ReminderEntry.MaxPeriod)
        {
            throw new ReminderException(
                $"Reminder '{reminderName}' of {grain} has due time {dueTime}; it must be zero or positive and at most {Days(ReminderEntry.MaxPeriod)} days.");
        }

        if (period < _options.MinimumPeriod || period > ReminderEntry.MaxPeriod)
        {
            throw new ReminderException(
                $"Reminder '{reminderName}' of {grain} has period {period}; it must be at least {_options.MinimumPeriod} ({ReminderOptions.SectionName}:MinimumPeriod) " +
                $"and at most {Days(ReminderEntry.MaxPeriod)} days. For faster ticks use a grain timer.");
        }

        // Whole microseconds: what every table stores exactly, so a schedule reads back as written.
        var start = time.GetUtcNow() + dueTime;
        start = new DateTimeOffset(start.UtcTicks - (start.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
        var entry = new ReminderEntry(grain, reminderName, start, period);
        string etag;
        try
        {
            etag = await table.UpsertRowAsync(entry);
        }
        catch (Exception error) when (error is not ReminderException)
        {
            throw new ReminderException($"Reminder '{reminderName}' of {grain} could not be stored: {error.Message}", error);
        }

        await service.NotifyChangedAsync(grain);
        return new GrainReminder(entry with { ETag = etag });
    }

    public Task UnregisterReminder(GrainId grain, IGrainReminder reminder)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        return UnregisterReminder(grain, reminder.ReminderName);
    }

    /// <summary>Removes the grain's reminder of that name, whatever its schedule now; false if it had none.</summary>
    public async Task<bool> UnregisterReminder(GrainId grain, string reminderName)
    {
        ReminderEntry.ValidateName(grain, reminderName);
        for (var attempt = 1; attempt <= RemoveAttempts; attempt++)
        {
            var row = await table.ReadRowAsync(grain, reminderName);
            if (row is null)
            {
                return false;
            }

            if (await table.RemoveRowAsync(grain, reminderName, row.ETag))
            {
                await service.NotifyChangedAsync(grain);
                return true;
            }
        }

        throw new ReminderException(
            $"Reminder '{reminderName}' of {grain} kept changing while being unregistered ({RemoveAttempts} attempts): " +
            "something else registers it at the same time (a duplicate activation?).");
    }

    public async Task<IGrainReminder?> GetReminder(GrainId grain, string reminderName)
    {
        ReminderEntry.ValidateName(grain, reminderName);
        return await table.ReadRowAsync(grain, reminderName) is { } row ? new GrainReminder(row) : null;
    }

    public async Task<IReadOnlyList<IGrainReminder>> GetReminders(GrainId grain) =>
        [.. (await table.ReadRowsAsync(grain)).Select(row => new GrainReminder(row))];

    private static string Days(TimeSpan span) => span.TotalDays.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A reminder as read or written: its name, schedule and row version.</summary>
public sealed class GrainReminder(ReminderEntry entry) : IGrainReminder
{
    public string ReminderName => Entry.ReminderName;

    /// <summary>The stored row.</summary>
    public ReminderEntry Entry { get; } = entry;

    public override string ToString() => $"reminder '{ReminderName}' of {Entry.GrainId} (first tick {Entry.StartAt:O}, every {Entry.Period})";
}
