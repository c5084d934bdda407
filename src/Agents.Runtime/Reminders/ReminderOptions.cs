using Agents.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Runtime.Reminders;

/// <summary>
/// The reminder service, bound from <c>Agents:Reminders</c>. <c>Provider</c> picks the table:
/// <c>Memory</c> (lives with the process), <c>Sqlite</c> (<c>DataSource</c>: one silo's file) or
/// <c>Postgres</c> (<c>ConnectionString</c>, defaulting to <c>Agents:Clustering:ConnectionString</c>).
/// </summary>
public sealed class ReminderOptions
{
    public const string SectionName = "Agents:Reminders";

    /// <summary>
    /// The shortest period a reminder may have. Reminders are for schedules of seconds to days;
    /// use a grain timer for anything faster. Default one second.
    /// </summary>
    public TimeSpan MinimumPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each silo re-reads the reminders it owns from the table. A registration reaches its
    /// owner at once by a message; this catches one whose message was lost (the owner was changing).
    /// </summary>
    public TimeSpan RefreshPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one tick's delivery may take before it is logged as failed (the schedule goes on).</summary>
    public TimeSpan TickTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Rejects bad reminder settings at start-up, naming the key.</summary>
public sealed class ReminderOptionsValidator : IValidateOptions<ReminderOptions>
{
    public ValidateOptionsResult Validate(string? name, ReminderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new OptionsFailures(ReminderOptions.SectionName);
        if (options.MinimumPeriod < TimeSpan.FromMilliseconds(10) || options.MinimumPeriod > TimeSpan.FromDays(1))
        {
            failures.Add(nameof(options.MinimumPeriod), $"must be between 00:00:00.010 and 1.00:00:00 (was {options.MinimumPeriod}).");
        }

        failures.Positive(options.RefreshPeriod, nameof(options.RefreshPeriod));
        failures.Positive(options.TickTimeout, nameof(options.TickTimeout));
        return failures.Result;
    }
}
