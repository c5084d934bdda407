namespace Agents.Signals;

/// <summary>Publishes signals for callers outside grains (the HTTP API, clients): a stateless worker on every silo (use key 0).</summary>
[DefaultGrainType("signal-publisher")]
public interface ISignalPublisherGrain : IGrainWithIntegerKey
{
    /// <summary>Puts <paramref name="signal"/> on its topic's stream; fails with <see cref="FormatException"/> for a bad topic.</summary>
    Task Publish(Signal signal);
}
