using Agents.Streams;

namespace Agents.Signals;

/// <summary>Where signals travel: one stream per topic, in the <c>signals</c> namespace.</summary>
public static class SignalStreams
{
    public const string Namespace = "signals";

    public static StreamId For(string topic) => StreamId.Create(Namespace, topic);
}
