using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Agents.Bench;

/// <summary>
/// <c>--allocs</c>: where a scenario's bytes go. The runtime raises an allocation-tick event about
/// every 100 KB allocated, naming the type of the object that crossed the mark; summed per type, the
/// ticks are a sample of allocated bytes by type (whole process, every phase). Printed at the end,
/// largest first.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int GcKeyword = 0x1;
    private const string AllocationTick = "GCAllocationTick_V4";
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        var type = "?";
        long bytes = 0;
        for (var i = 0; i < e.PayloadNames!.Count; i++)
        {
            switch (e.PayloadNames[i])
            {
                case "TypeName": type = e.Payload[i] as string ?? "?"; break;
                case "AllocationAmount64": bytes = Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture); break;
                case "AllocationAmount" when bytes == 0: bytes = Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture); break;
            }
        }

        _bytesByType.AddOrUpdate(type, bytes, (_, sum) => sum + bytes);
    }

    /// <summary>The sampled types making up <paramref name="top"/> places, with their share of the sampled bytes.</summary>
    public void Print(TextWriter output, int top = 25)
    {
        var total = _bytesByType.Values.Sum();
        output.WriteLine($"allocations (sampled every ~100 KB, {total / (1024.0 * 1024):N0} MiB sampled; {AllocationTick} by type):");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(pair => pair.Value).Take(top))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * bytes / Math.Max(total, 1),5:0.0}%  {bytes / (1024.0 * 1024),9:N1} MiB  {type}"));
        }
    }
}
