using System.Diagnostics;
using Agents.Hosting;
using Agents.Streams;
using Microsoft.Extensions.Options;

namespace Agents.Signals;

/// <summary>Puts signals on their topics' streams from a grain context.</summary>
[GrainType("signal-publisher")]
[StatelessWorker]
public sealed class SignalPublisherGrain(IOptions<AgentServiceOptions> options) : Grain, ISignalPublisherGrain
{
    public Task Publish(Signal signal)
    {
        signal = Checked(signal, 0, 1, Activity.Current?.Id);
        return Stream(signal.Topic).OnNextAsync(signal);
    }

    public async Task PublishBatch(Signal[] signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Length == 0)
        {
            return;
        }

        // The argument is this call's own copy (grain calls copy arrays), so checked signals replace it in place.
        var sameTopic = true;
        string? lastTopic = null;
        var traceParent = Activity.Current?.Id; // the caller's, the same for the whole batch
        for (var i = 0; i < signals.Length; i++)
        {
            // A batch is mostly one topic: a topic equal to the last one checked is not checked again.
            var signal = signals[i];
            signals[i] = signal is not null && string.Equals(signal.Topic, lastTopic, StringComparison.Ordinal)
                ? Checked(signal, i, signals.Length, traceParent, topicChecked: true)
                : Checked(signal, i, signals.Length, traceParent);
            lastTopic = signals[i].Topic;
            sameTopic &= string.Equals(lastTopic, signals[0].Topic, StringComparison.Ordinal);
        }

        if (sameTopic)
        {
            // One topic (the usual batch): appended to its stream in one step.
            await Stream(signals[0].Topic).OnNextBatchAsync(signals);
            return;
        }

        foreach (var signal in signals)
        {
            await Stream(signal.Topic).OnNextAsync(signal);
        }
    }

    private IAsyncStream<Signal> Stream(string topic) =>
        GetStreamProvider(options.Value.StreamProvider).GetStream<Signal>(SignalStreams.For(topic));

    /// <summary>The signal as it goes on the stream (with the caller's trace context); throws naming what is wrong with it.</summary>
    private static Signal Checked(Signal? signal, int index, int count, string? traceParent, bool topicChecked = false)
    {
        if (signal is null)
        {
            throw new ArgumentException($"{Which(index, count)} is null.", count == 1 ? nameof(signal) : "signals");
        }

        if (!topicChecked && !TopicPattern.IsValidTopic(signal.Topic, out var error))
        {
            throw new FormatException(count == 1 ? error : $"{Which(index, count)}: {error}");
        }

        if (!Signal.IsValidId(signal.Id))
        {
            throw new ArgumentException(
                $"{Which(index, count)} has a bad id: a signal id must be 1 to {Signal.MaxIdLength} characters without control characters (got {signal.Id?.Length ?? 0} characters).",
                count == 1 ? nameof(signal) : "signals");
        }

        // A copy only when there is a trace context to record.
        var ready = signal.TraceParent is null && traceParent is not null ? signal with { TraceParent = traceParent } : signal;

        // Computed here, where the signal's strings are still in cache, rather than by each later stage (SignalDerived.cs).
        ready.Derive();
        return ready;
    }

    /// <summary>How an error names the signal: made only when there is an error (a string per signal checked cost more than the check).</summary>
    private static string Which(int index, int count) => count == 1 ? "The signal" : $"Signal {index} of the batch of {count}";
}
