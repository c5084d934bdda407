using System.Globalization;

namespace Agents.Runtime.Reminders;

/// <summary>
/// A reminder table in this process's memory: reminders last as long as the process. For tests, and
/// for in-process multi-silo clusters, whose silos must all share one instance. One lock makes every
/// operation atomic; ETags come from one counter that never repeats.
/// </summary>
public sealed class InMemoryReminderTable : IReminderTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(GrainId Grain, string Name), ReminderEntry> _rows = [];
    private long _lastETag;

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<ReminderEntry?> ReadRowAsync(GrainId grain, string reminderName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_rows.GetValueOrDefault((grain, reminderName)));
        }
    }

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grain, CancellationToken cancellationToken = default) =>
        Select(e => e.GrainId == grain);

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(IReadOnlyList<HashRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        return Select(e =>
        {
            var hash = e.GrainHash;
            foreach (var range in ranges)
            {
                if (range.Contains(hash))
                {
                    return true;
                }
            }

            return false;
        });
    }

    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entry.Validate();
        lock (_lock)
        {
            var etag = (++_lastETag).ToString(CultureInfo.InvariantCulture);
            _rows[(entry.GrainId, entry.ReminderName)] = entry with { ETag = etag };
            return Task.FromResult(etag);
        }
    }

    public Task<bool> RemoveRowAsync(GrainId grain, string reminderName, string etag, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var key = (grain, reminderName);
            var removed = _rows.TryGetValue(key, out var row) && string.Equals(row.ETag, etag, StringComparison.Ordinal) && _rows.Remove(key);
            return Task.FromResult(removed);
        }
    }

    private Task<IReadOnlyList<ReminderEntry>> Select(Func<ReminderEntry, bool> predicate)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ReminderEntry>>(
                [.. _rows.Values.Where(predicate).OrderBy(e => e.GrainId.ToString(), StringComparer.Ordinal).ThenBy(e => e.ReminderName, StringComparer.Ordinal)]);
        }
    }
}
