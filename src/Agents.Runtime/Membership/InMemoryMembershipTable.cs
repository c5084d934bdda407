using System.Globalization;

namespace Agents.Runtime.Membership;

/// <summary>
/// A membership table in this process's memory, for tests and in-process multi-silo clusters:
/// every silo of the cluster must share the same instance. One lock serializes all access, which
/// makes every operation trivially atomic as the contract requires. The clock is the table's
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class InMemoryMembershipTable(TimeProvider? timeProvider = null) : IMembershipTable
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Dictionary<SiloAddress, (MembershipEntry Entry, long ETag)> _rows = [];
    private long _version;
    private long _nextETag;

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Snapshot(_rows.Values));
        }
    }

    public Task<MembershipSnapshot> ReadRowAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Snapshot(_rows.TryGetValue(silo, out var row) ? [row] : []));
        }
    }

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion nextVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (!IsNextVersion(nextVersion) || _rows.ContainsKey(entry.Silo))
            {
                return Task.FromResult(false);
            }

            _rows[entry.Silo] = (Stamp(entry), ++_nextETag);
            _version = nextVersion.Version;
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion nextVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            if (!IsNextVersion(nextVersion)
                || !_rows.TryGetValue(entry.Silo, out var row)
                || !string.Equals(FormatETag(row.ETag), etag, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            _rows[entry.Silo] = (entry, ++_nextETag);
            _version = nextVersion.Version;
            return Task.FromResult(true);
        }
    }

    public Task UpdateIAmAliveAsync(SiloAddress silo, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_rows.TryGetValue(silo, out var row))
            {
                _rows[silo] = (row.Entry with { IAmAliveTime = _time.GetUtcNow() }, row.ETag);
            }
        }

        return Task.CompletedTask;
    }

    public Task<int> DeleteDefunctEntriesAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var defunct = _rows.Values.Where(r => r.Entry.Status == SiloStatus.Dead && r.Entry.IAmAliveTime < cutoff).Select(r => r.Entry.Silo).ToList();
            foreach (var silo in defunct)
            {
                _rows.Remove(silo);
            }

            return Task.FromResult(defunct.Count);
        }
    }

    private bool IsNextVersion(TableVersion next) =>
        next.Version == _version + 1 && string.Equals(next.ETag, FormatETag(_version), StringComparison.Ordinal);

    /// <summary>A new row's times come from the table's clock when the caller left them unset.</summary>
    private MembershipEntry Stamp(MembershipEntry entry)
    {
        var now = _time.GetUtcNow();
        return entry with
        {
            StartTime = entry.StartTime == default ? now : entry.StartTime,
            IAmAliveTime = entry.IAmAliveTime == default ? now : entry.IAmAliveTime,
        };
    }

    private MembershipSnapshot Snapshot(IEnumerable<(MembershipEntry Entry, long ETag)> rows) => new(
        new TableVersion(_version, FormatETag(_version)),
        [.. rows.Select(r => new VersionedEntry(r.Entry, FormatETag(r.ETag))).OrderBy(e => e.Entry.Silo.ToString(), StringComparer.Ordinal)])
    {
        ServerTime = _time.GetUtcNow(),
    };

    private static string FormatETag(long value) => value.ToString(CultureInfo.InvariantCulture);
}
