namespace Agents.Runtime.Tests.Grains;

public sealed class GrainFailureException(string message) : Exception(message);

/// <summary>Grain calls: results, failures, timeouts, cancellation, cycles and context.</summary>
public interface ICallGrain : IGrainWithStringKey
{
    Task<int> Add(int a, int b);

    ValueTask<string> Echo(string text);

    Task Throw(string message);

    Task ThrowAfterAwait(string message);

    Task<string> Sleep(int milliseconds, CancellationToken cancellationToken);

    [ResponseTimeout("00:00:00.500")]
    Task SleepWithShortTimeout(int milliseconds);

    /// <summary>Calls <paramref name="next"/>.<see cref="CallBack"/>, which calls this grain again.</summary>
    Task<string> CallThrough(string next);

    Task<string> CallBack(string origin);

    Task<string> Ping();

    Task<string?> GetRequestContext(string key);

    Task<string?> GetRequestContextViaOther(string other, string key);

    [OneWay]
    Task Record(string value);

    Task<List<string>> Recorded();

    Task<List<int>> MutateAndReturn(List<int> values);

    /// <summary>Awaits for <paramref name="milliseconds"/>, holding the grain busy.</summary>
    Task<string> HoldBusy(int milliseconds);

    [AlwaysInterleave]
    Task<string> Interleaving();

    Task Deactivate();
}

public sealed class CallGrain : Grain, ICallGrain
{
    private readonly List<string> _recorded = [];

    public Task<int> Add(int a, int b) => Task.FromResult(a + b);

    public ValueTask<string> Echo(string text) => ValueTask.FromResult(text);

    public Task Throw(string message) => throw new GrainFailureException(message);

    public async Task ThrowAfterAwait(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }

    public async Task<string> Sleep(int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return "slept";
    }

    public Task SleepWithShortTimeout(int milliseconds) => Task.Delay(milliseconds);

    public Task<string> CallThrough(string next) => GrainFactory.GetGrain<ICallGrain>(next).CallBack(this.GetPrimaryKeyString());

    public Task<string> CallBack(string origin) => GrainFactory.GetGrain<ICallGrain>(origin).Ping();

    public Task<string> Ping() => Task.FromResult($"pong from {this.GetPrimaryKeyString()}");

    public Task<string?> GetRequestContext(string key) => Task.FromResult(RequestContext.Get(key) as string);

    public Task<string?> GetRequestContextViaOther(string other, string key) => GrainFactory.GetGrain<ICallGrain>(other).GetRequestContext(key);

    public Task Record(string value)
    {
        _recorded.Add(value);
        return Task.CompletedTask;
    }

    public Task<List<string>> Recorded() => Task.FromResult(_recorded.ToList());

    public Task<List<int>> MutateAndReturn(List<int> values)
    {
        values.Add(-1);
        return Task.FromResult(values);
    }

    public async Task<string> HoldBusy(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return "held";
    }

    public Task<string> Interleaving() => Task.FromResult("interleaved");

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

/// <summary>A grain whose activation fails.</summary>
public interface IFailingActivationGrain : IGrainWithStringKey
{
    Task<string> Hello();
}

public sealed class FailingActivationGrain : Grain, IFailingActivationGrain
{
    public static int Attempts;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        throw new InvalidOperationException($"activation of {this.GetPrimaryKeyString()} refused");
    }

    public Task<string> Hello() => Task.FromResult("never");
}

/// <summary>Records its lifecycle, for collection and shutdown tests.</summary>
public interface ILifecycleGrain : IGrainWithStringKey
{
    Task<string> Touch();

    Task StartTimer(int periodMilliseconds);

    Task<int> TimerTicks();
}

public sealed class LifecycleGrain : Grain, ILifecycleGrain
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<(string Key, string Event)> Events = new();
    private int _ticks;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Events.Enqueue((this.GetPrimaryKeyString(), "activate"));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Events.Enqueue((this.GetPrimaryKeyString(), $"deactivate:{reason.Code}"));
        return Task.CompletedTask;
    }

    public Task<string> Touch() => Task.FromResult("touched");

    public Task StartTimer(int periodMilliseconds)
    {
        RegisterGrainTimer(_ =>
        {
            _ticks++;
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(periodMilliseconds), TimeSpan.FromMilliseconds(periodMilliseconds));
        return Task.CompletedTask;
    }

    public Task<int> TimerTicks() => Task.FromResult(_ticks);
}
