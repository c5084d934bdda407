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
        signal = signal with { TraceParent = signal.TraceParent ?? Activity.Current?.Id };
        return GetStreamProvider(options.Value.StreamProvider)
            .GetStream<Signal>(SignalStreams.For(signal.Topic))
            .OnNextAsync(signal);
    }
}
