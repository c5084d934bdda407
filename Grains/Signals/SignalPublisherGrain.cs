using System.Diagnostics;
using Agents.Hosting;
using Microsoft.Extensions.Options;

namespace Agents.Signals;

/// <summary>Puts a signal on its topic's stream from a grain context.</summary>
[GrainType("signal-publisher")]
[StatelessWorker]
public sealed class SignalPublisherGrain(IOptions<AgentServiceOptions> options) : Grain, ISignalPublisherGrain
{
    public Task Publish(Signal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        TopicPattern.ValidateTopic(signal.Topic);
        if (!Signal.IsValidId(signal.Id))
        {
            throw new ArgumentException($"A signal id must be 1 to {Signal.MaxIdLength} characters without control characters (got {signal.Id?.Length ?? 0} characters).", nameof(signal));
        }

        signal = signal with { TraceParent = signal.TraceParent ?? Activity.Current?.Id };
        return GetStreamProvider(options.Value.StreamProvider)
            .GetStream<Signal>(SignalStreams.For(signal.Topic))
            .OnNextAsync(signal);
    }
}
