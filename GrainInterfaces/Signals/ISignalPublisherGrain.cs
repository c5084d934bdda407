namespace Agents.Signals;

/// <summary>Publishes signals for callers outside grains (the HTTP API, clients): a stateless worker on every silo (use key 0).</summary>
[DefaultGrainType("signal-publisher")]
public interface ISignalPublisherGrain : IGrainWithIntegerKey
{
    /// <summary>Puts <paramref name="signal"/> on its topic's stream; fails with <see cref="FormatException"/> for a bad topic.</summary>
    Task Publish(Signal signal);

    /// <summary>
    /// Puts <paramref name="signals"/> on their topics' streams in array order, one call for all of
    /// them. Every signal is checked first: one bad topic or id fails the call and publishes none.
    /// </summary>
    Task PublishBatch(Signal[] signals);
}
