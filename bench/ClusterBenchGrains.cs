namespace Agents.Bench;

/// <summary>Answers pings; placed on the silo whose client first calls it, so a benchmark can put it on a chosen silo.</summary>
public interface IPinnedPingGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);
}

[PreferLocalPlacement]
public sealed class PinnedPingGrain : Grain, IPinnedPingGrain
{
    public ValueTask<int> Ping(int value) => ValueTask.FromResult(value + 1);
}

/// <summary>Calls a pinned ping grain (on another silo) once per call: a grain-to-grain hop across silos.</summary>
public interface IRelayGrain : IGrainWithIntegerKey
{
    ValueTask<int> Relay(long target, int value);
}

[PreferLocalPlacement]
public sealed class RelayGrain : Grain, IRelayGrain
{
    public ValueTask<int> Relay(long target, int value) => GrainFactory.GetGrain<IPinnedPingGrain>(target).Ping(value);
}
