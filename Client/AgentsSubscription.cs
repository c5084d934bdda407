using System.Runtime.CompilerServices;
using Agents.Signals;

namespace Agents.Client;

/*
 * A client's live subscription to signals, read through a signal tap grain on a silo.
 *
 * Invariants
 *  - Live once OpenAsync returned: the tap is open on its silo, and that silo's feed sees every
 *    signal dispatched in the cluster from then on.
 *  - One poll in flight at a time; each returns at once when signals are buffered, else after at
 *    most PollWait. Signals come in tap order (per topic: publication order).
 *  - A tap that is lost (its silo died, or it closed after a minute unpolled) is replaced by a new
 *    one; signals dispatched while there was none are not delivered, and Reopened counts the gaps.
 *    Signals the tap dropped because this reader fell behind are counted in Dropped.
 *  - Enumeration ends (without an error) when the caller cancels, the subscription is disposed,
 *    or the client is disposed (its host stopping); however it ends, the tap is closed then, so
 *    `await foreach` with a `break` leaves nothing following on the silo.
 */

/// <summary>Signals matching a topic pattern, as they are dispatched. Enumerate it once; dispose it to stop.</summary>
public sealed class AgentsSubscription : IAsyncEnumerable<Signal>, IAsyncDisposable
{
    /// <summary>How long one poll waits for a signal before asking again.</summary>
    public static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);

    private const int BatchSize = 256;

    private readonly IClusterClient _cluster;
    private readonly CancellationTokenSource _disposed = new();
    private ISignalTapGrain? _tap;
    private long _dropped;
    private int _reopened;

    internal AgentsSubscription(IClusterClient cluster, string topicPattern)
    {
        _cluster = cluster;
        TopicPattern = topicPattern;
    }

    /// <summary>The pattern followed.</summary>
    public string TopicPattern { get; }

    /// <summary>Signals lost because this reader fell more than a tap's buffer behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>How many times the tap was lost and replaced (each a possible gap).</summary>
    public int Reopened => Volatile.Read(ref _reopened);

    internal async Task OpenAsync(CancellationToken cancellationToken)
    {
        var tap = _cluster.GetGrain<ISignalTapGrain>(Guid.NewGuid());
        await tap.Open(TopicPattern).WaitAsync(cancellationToken);
        _tap = tap;
    }

    public async IAsyncEnumerator<Signal> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                SignalBatch? batch;
                try
                {
                    batch = await _tap!.Next(BatchSize, PollWait).WaitAsync(stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    yield break;
                }
                catch (ObjectDisposedException)
                {
                    yield break; // the client was disposed
                }
                catch (Exception error) when (error is SiloUnavailableException or InvalidOperationException or TimeoutException)
                {
                    batch = null; // the tap was lost
                }

                if (batch is null)
                {
                    if (!await TryReopenAsync(stop.Token))
                    {
                        yield break;
                    }

                    continue;
                }

                Interlocked.Add(ref _dropped, batch.Dropped);
                foreach (var signal in batch.Signals)
                {
                    yield return signal;
                }
            }
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Opens a new tap, retrying while the cluster is unreachable; false when the subscription or the client was stopped first.</summary>
    private async Task<bool> TryReopenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reopened);
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await OpenAsync(cancellationToken);
                return true;
            }
            catch (Exception error) when (error is SiloUnavailableException or TimeoutException)
            {
                // The cluster is moving; try again shortly.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false; // the client was disposed
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        if (_tap is { } tap)
        {
            try
            {
                await tap.Close().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception error) when (error is SiloUnavailableException or TimeoutException or InvalidOperationException)
            {
                // The tap closes itself after a minute unpolled anyway.
            }
        }

        _disposed.Dispose();
    }
}
