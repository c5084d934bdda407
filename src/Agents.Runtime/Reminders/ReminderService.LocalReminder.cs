namespace Agents.Runtime.Reminders;

internal sealed partial class ReminderService
{
    /// <summary>One owned reminder's timer (invariant 4).</summary>
    private sealed class LocalReminder
    {
        // Timers cannot be set much beyond 49 days; a longer wait is taken in steps.
        private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

        private readonly ReminderService _service;
        private readonly ITimer _timer;
        private DateTimeOffset _due;
        private volatile bool _stopped;

        public LocalReminder(ReminderService service, ReminderEntry entry)
        {
            _service = service;
            Entry = entry;
            _timer = service._time.CreateTimer(static s => ((LocalReminder)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public ReminderEntry Entry { get; }

        /// <summary>Arms the first tick: the latest due one when catching up (4a), else the next one from now.</summary>
        public void Start(DateTimeOffset now, bool catchUp)
        {
            _due = catchUp ? ReminderSchedule.LatestDue(Entry, now) : Entry.StartAt >= now ? Entry.StartAt : ReminderSchedule.NextDue(Entry, now);
            Arm(now);
        }

        public void Stop()
        {
            _stopped = true;
            _timer.Dispose();
        }

        private void Arm(DateTimeOffset now)
        {
            if (_stopped)
            {
                return;
            }

            var wait = _due - now;
            wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestWait ? LongestWait : wait;
            try
            {
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Stopped concurrently.
            }
        }

        private void OnTimer()
        {
            if (_stopped)
            {
                return;
            }

            var now = _service._time.GetUtcNow();
            if (now < _due)
            {
                Arm(now); // a step of a long wait
                return;
            }

            _ = TickAsync();
        }

        private async Task TickAsync()
        {
            await _service.DeliverTickAsync(Entry, _due);
            var now = _service._time.GetUtcNow();
            _due = ReminderSchedule.NextDue(Entry, now > _due ? now : _due);
            Arm(now);
        }
    }
}
