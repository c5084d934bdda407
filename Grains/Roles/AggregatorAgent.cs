using System.Globalization;
using System.Text.Json;
using Agents.Agents;
using Agents.Signals;
using Agents.Topology;
using Microsoft.Extensions.Logging;

namespace Agents.Roles;

/*
 * The built-in aggregator role: settings { window: { count, time }, emit } (validated by RoleSchemas).
 * One aggregator agent per key (the route's key rule decides the key), one open window at a time.
 *
 * Invariants
 *  - A window opens with the first signal after the previous one closed. It closes after 'count'
 *    signals (closedBy "count"), or 'time' after its first signal (closedBy "time"), whichever comes
 *    first when both are set. A window is never empty.
 *  - Closing publishes one summary on 'emit' with subject = the agent key, then records it: the
 *    open window becomes null, the summary joins the last 20 kept, and the state is saved. A count
 *    close runs in the handler of the closing signal, so the summary is caused by that signal; a time
 *    close runs on a timer and starts a new correlation.
 *  - The open window is saved on every signal, so a silo restart continues it. Its time limit is
 *    enforced four ways: a one-shot timer set when it opens, for the exact time while the agent is
 *    active; a durable reminder ("window", also set when it opens, first due RetryDelay after the
 *    close time, then every window length), which closes it even when the agent was deactivated or
 *    its silo restarted or died - the tick activates the agent; on activation, a timer for the
 *    remaining time (zero when already overdue); and before each signal, an overdue window is closed
 *    first. So an overdue window closes on its own within RetryDelay of its time (after a restart,
 *    at the reminder's catch-up tick), and never merges with later signals.
 *  - A timer only closes the window it was set for (by window number), and a reminder tick only an
 *    overdue window, so a stale tick is harmless. A reminder tick that finds no open window removes
 *    the reminder: an idle aggregator is not woken again. A timer tick whose publish fails leaves the
 *    window open and re-arms the timer (RetryDelay); a reminder tick whose publish fails sets the
 *    reminder again to RetryDelay from now;
 *    a signal whose close fails is retried by the agent grain like any failing handler.
 *  - Times are the aggregator's clock (Context.Time) when each signal arrived, not the signals' own
 *    times, which may be skewed or old; the time limit uses the same clock.
 *  - Publishing before saving means a crash between the two re-emits the summary (at least once).
 */

/// <summary>A window being filled.</summary>
public sealed class AggregatorWindow
{
    public int WindowNumber { get; set; }

    public int Count { get; set; }

    public DateTimeOffset FirstAt { get; set; }

    public DateTimeOffset LastAt { get; set; }

    /// <summary>Signals in the window, by topic.</summary>
    public Dictionary<string, int> Topics { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When the time limit closes the window (null without a time limit).</summary>
    public DateTimeOffset? ClosesAt { get; set; }
}

/// <summary>What an aggregator publishes when a window closes, and keeps (the last 20).</summary>
public sealed record WindowSummary(
    string Key, int Count, DateTimeOffset FirstAt, DateTimeOffset LastAt, IReadOnlyDictionary<string, int> Topics, int WindowNumber, string ClosedBy);

/// <summary>What an aggregator keeps, durably.</summary>
public sealed class AggregatorState
{
    /// <summary>The open window, or null between windows.</summary>
    public AggregatorWindow? Open { get; set; }

    /// <summary>How many windows closed so far (the next window's number is this plus one).</summary>
    public int WindowsClosed { get; set; }

    /// <summary>The last summaries published, oldest first.</summary>
    public List<WindowSummary> Summaries { get; set; } = [];
}

/// <summary>
/// The built-in <c>aggregator</c> role: collects the signals routed to it into windows (by count
/// and/or time) and publishes a summary of each on the <c>emit</c> topic. See the invariants at the
/// top of this file.
/// </summary>
public sealed partial class AggregatorAgent : Agent<AggregatorState>
{
    /// <summary>How many summaries are kept for the <c>summaries</c> request.</summary>
    public const int KeptSummaries = 20;

    /// <summary>How long a time close whose publish failed waits before it tries again; also the reminder's grace after the close time.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The durable reminder that closes a timed window when no timer is running.</summary>
    public const string WindowReminder = "window";

    private readonly int? _count;
    private readonly TimeSpan? _time;
    private readonly string _emit;
    private IDisposable? _timer;

    public AggregatorAgent(AgentTypeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var settings = definition.Settings;
        if (settings.ValueKind != JsonValueKind.Object || !settings.TryGetProperty("window", out var window) || !settings.TryGetProperty("emit", out var emit))
        {
            throw new ArgumentException($"Agent type '{definition.Name}' (role aggregator) needs settings 'window' and 'emit'.", nameof(definition));
        }

        _count = window.TryGetProperty("count", out var count) ? count.GetInt32() : null;
        _time = window.TryGetProperty("time", out var time) ? TimeSpan.Parse(time.GetString()!, CultureInfo.InvariantCulture) : null;
        _emit = emit.GetString()!;
    }

    protected override void Configure(AgentBehavior agent) => agent
        .On("#", AddAsync)
        .OnReminder(WindowReminder, OnWindowReminderAsync)
        .Answer<object?, AggregatorWindow?>("current", _ => Task.FromResult(State.Open), "The open window (null between windows): { windowNumber, count, firstAt, lastAt, topics, closesAt }.")
        .Answer<object?, IReadOnlyList<WindowSummary>>("summaries", _ => Task.FromResult<IReadOnlyList<WindowSummary>>([.. State.Summaries]), $"The last {KeptSummaries} summaries published, oldest first.");

    protected override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Open is { ClosesAt: { } closesAt } open)
        {
            ArmTimer(open.WindowNumber, closesAt);
        }

        return Task.CompletedTask;
    }

    protected override Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    protected override string DescribeState() => JsonSerializer.Serialize(
        new { open = State.Open, windowsClosed = State.WindowsClosed, window = new { count = _count, time = _time }, emit = _emit }, SignalJson.Options);

    private async Task AddAsync(Signal signal)
    {
        var now = Context.Time.GetUtcNow();
        if (State.Open is { ClosesAt: { } due } overdue && now >= due)
        {
            await CloseAsync(overdue, "time");
        }

        var window = State.Open;
        if (window is null)
        {
            window = State.Open = new AggregatorWindow { WindowNumber = State.WindowsClosed + 1, FirstAt = now, ClosesAt = now + _time };
        }

        window.Count++;
        window.LastAt = now;
        window.Topics[signal.Topic] = window.Topics.GetValueOrDefault(signal.Topic) + 1;
        if (window.Count >= _count)
        {
            await CloseAsync(window, "count");
            return;
        }

        await SaveStateAsync();
        if (window.Count == 1 && window.ClosesAt is { } closesAt)
        {
            ArmTimer(window.WindowNumber, closesAt);
            await SetWindowReminderAsync(now, closesAt);
        }
    }

    /// <summary>The durable backstop of the window's time limit (see the invariants). A failure to set it is logged: the timer still runs.</summary>
    private async Task SetWindowReminderAsync(DateTimeOffset now, DateTimeOffset closesAt)
    {
        var period = _time!.Value < RetryDelay ? RetryDelay : _time.Value;
        try
        {
            await Context.SetReminderAsync(WindowReminder, closesAt - now + RetryDelay, period);
        }
        catch (ReminderException ex)
        {
            LogReminderNotSet(Context.Logger, ex, Context.Id);
        }
    }

    private async Task OnWindowReminderAsync(AgentReminderTick tick)
    {
        switch (State.Open)
        {
            case null:
                await Context.CancelReminderAsync(WindowReminder);
                break;
            case { ClosesAt: { } due } window when Context.Time.GetUtcNow() >= due:
                try
                {
                    await CloseAsync(window, "time");
                }
                catch (Exception) when (State.Open?.WindowNumber == window.WindowNumber)
                {
                    // Still open (the publish failed): try again in RetryDelay, not a whole window length later.
                    var now = Context.Time.GetUtcNow();
                    await SetWindowReminderAsync(now, now);
                    throw;
                }

                break;
        }
    }

    private void ArmTimer(int windowNumber, DateTimeOffset closesAt)
    {
        _timer?.Dispose();
        var due = closesAt - Context.Time.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due;
        // The timer ends with the activation; if the agent is collected first, the reminder closes the window.
        _timer = Context.RegisterTimer(_ => OnTimeUpAsync(windowNumber), due, Timeout.InfiniteTimeSpan);
    }

    private async Task OnTimeUpAsync(int windowNumber)
    {
        if (State.Open is not { } window || window.WindowNumber != windowNumber)
        {
            return;
        }

        try
        {
            await CloseAsync(window, "time");
        }
        catch (Exception ex)
        {
            LogCloseFailed(Context.Logger, ex, Context.Id, windowNumber, RetryDelay);
            if (State.Open?.WindowNumber == windowNumber)
            {
                // The publish failed, so nothing changed: try again. (A failed save after the publish leaves the window
                // closed in memory; the next save keeps that.)
                ArmTimer(windowNumber, Context.Time.GetUtcNow() + RetryDelay);
            }
        }
    }

    private async Task CloseAsync(AggregatorWindow window, string closedBy)
    {
        _timer?.Dispose();
        _timer = null;
        var summary = new WindowSummary(Context.Id.Key, window.Count, window.FirstAt, window.LastAt, window.Topics, window.WindowNumber, closedBy);
        await Context.PublishAsync(_emit, summary, Context.Id.Key);
        State.Open = null;
        State.WindowsClosed = window.WindowNumber;
        State.Summaries.Add(summary);
        if (State.Summaries.Count > KeptSummaries)
        {
            State.Summaries.RemoveRange(0, State.Summaries.Count - KeptSummaries);
        }

        await SaveStateAsync();
        LogClosed(Context.Logger, Context.Id, window.WindowNumber, window.Count, closedBy, _emit);
    }

    [LoggerMessage(4310, LogLevel.Debug, "Aggregator {Agent} closed window {WindowNumber} ({Count} signals, by {ClosedBy}) and published its summary on {Topic}")]
    private static partial void LogClosed(ILogger logger, AgentId agent, int windowNumber, int count, string closedBy, string topic);

    [LoggerMessage(4312, LogLevel.Warning, "Aggregator {Agent} could not set its window reminder; the open window still closes on time while the agent stays active, or at its next signal")]
    private static partial void LogReminderNotSet(ILogger logger, Exception exception, AgentId agent);

    [LoggerMessage(4311, LogLevel.Warning, "Aggregator {Agent} could not close window {WindowNumber} when its time was up; it stays open and is tried again in {RetryDelay}")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, AgentId agent, int windowNumber, TimeSpan retryDelay);
}
