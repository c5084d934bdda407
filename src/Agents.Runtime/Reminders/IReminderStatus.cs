namespace Agents.Runtime.Reminders;

/// <summary>What this silo's reminder service is doing, for status pages.</summary>
public interface IReminderStatus
{
    /// <summary>How many reminders this silo ticks now (those whose grains hash into its share of the ring).</summary>
    int Ticking { get; }
}
