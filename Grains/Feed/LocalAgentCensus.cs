using System.Collections.Concurrent;

namespace Agents.Feed;

/// <summary>The agents active on this silo, by type: counted as agent grains activate and deactivate.</summary>
public sealed class LocalAgentCensus
{
    private readonly ConcurrentDictionary<string, long> _active = new(StringComparer.Ordinal);

    public void Activated(string type) => _active.AddOrUpdate(type, 1, static (_, n) => n + 1);

    public void Deactivated(string type) => _active.AddOrUpdate(type, 0, static (_, n) => Math.Max(0, n - 1));

    /// <summary>A copy of the counts; types with none active are left out.</summary>
    public Dictionary<string, long> Snapshot() =>
        _active.Where(p => p.Value > 0).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
