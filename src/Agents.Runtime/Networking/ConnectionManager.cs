using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Agents.Runtime.Networking;

/*
 * Outbound connections: one per remote endpoint, opened on first use and kept open.
 *
 * Each endpoint has an Entry whose single maintenance loop opens the connection, waits for it to
 * close, and opens it again, so there is never more than one connection or connection attempt per
 * endpoint. Between attempts the loop waits a capped exponential backoff with jitter
 * (ReconnectInitialDelay doubling up to ReconnectMaxDelay; half of each delay random, so silos that
 * lost the same peer do not retry in lockstep). It runs until ForgetAsync (the runtime learned the
 * peer is gone for good, e.g. declared dead) or DisposeAsync.
 *
 * GetConnectionAsync never waits for a backoff: a live connection is returned at once, an attempt
 * in flight is awaited, and while the loop is backing off the call fails at once with
 * ConnectionUnavailableException carrying the last error. Calls to an unreachable peer therefore
 * fail fast instead of piling up behind the reconnect schedule.
 *
 * Loss is reported twice, for two audiences: the handler's OnClosed (per connection, from the
 * connection itself, so in-flight calls can be failed at once) and ConnectionLost here (per
 * endpoint, followed by Connected once the loop reconnects).
 */

/// <summary>A connection the manager held was lost; the manager is reconnecting.</summary>
internal sealed record ConnectionLoss(EndPoint Remote, Connection Connection, Exception? Error);

/// <summary>Keeps one outbound connection per remote endpoint, reconnecting with backoff after loss.</summary>
internal sealed partial class ConnectionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<EndPoint, Entry> _entries = new();
    private readonly HelloMessage _local;
    private readonly IConnectionHandler _handler;
    private readonly ConnectionFactory _factory;
    private readonly NetworkingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    /// <summary>
    /// A manager that introduces itself with <paramref name="local"/> (a silo's hello or a client's) and
    /// hands the frames of every connection it opens (the answers to what was sent) to <paramref name="handler"/>.
    /// </summary>
    public ConnectionManager(HelloMessage local, IConnectionHandler handler, NetworkingOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _local = local;
        _handler = handler;
        _options = options;
        _time = time ?? TimeProvider.System;
        _factory = new ConnectionFactory(options, loggerFactory, _time);
        _logger = _factory.Logger;
    }

    /// <summary>A connection was established (first time or after a loss). Raised on the maintenance loop; keep it short.</summary>
    public event Action<Connection>? Connected;

    /// <summary>A connection was lost, not closed by us. Raised after the connection's OnClosed; the manager then reconnects.</summary>
    public event Action<ConnectionLoss>? ConnectionLost;

    /// <summary>Endpoints the manager currently maintains.</summary>
    public IReadOnlyCollection<EndPoint> Endpoints => [.. _entries.Keys];

    /// <summary>The live connection to <paramref name="remote"/>, if there is one; never connects.</summary>
    public bool TryGetConnection(EndPoint remote, [NotNullWhen(true)] out Connection? connection)
    {
        connection = _entries.TryGetValue(remote, out var entry) ? entry.Live : null;
        return connection is not null;
    }

    /// <summary>
    /// The connection to <paramref name="remote"/>, connecting on first use. Throws
    /// <see cref="ConnectionException"/> when the attempt fails, and
    /// <see cref="ConnectionUnavailableException"/> at once while reconnection is backing off.
    /// </summary>
    public ValueTask<Connection> GetConnectionAsync(EndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (_entries.TryGetValue(remote, out var entry) && entry.Live is { } live)
        {
            return new(live);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        entry ??= _entries.GetOrAdd(remote, static (r, m) => new Entry(m, r), this);
        return entry.GetAsync(cancellationToken);
    }

    /// <summary>Stops maintaining <paramref name="remote"/>: closes its connection (no ConnectionLost) and stops reconnecting.</summary>
    public async Task ForgetAsync(EndPoint remote)
    {
        if (_entries.TryRemove(remote, out var entry))
        {
            await entry.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await Task.WhenAll(_entries.Keys.Select(ForgetAsync)).ConfigureAwait(false);
    }

    /// <summary>Delay before reconnection attempt <paramref name="failures"/> (1-based): doubling from the initial delay, capped, half of it random.</summary>
    internal static TimeSpan Backoff(int failures, TimeSpan initial, TimeSpan max, double random)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30)));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (ceiling / 2 * random));
    }

    private void Raise<T>(Action<T>? handlers, T argument)
    {
        try
        {
            handlers?.Invoke(argument);
        }
        catch (Exception exception)
        {
            LogEventHandlerFailed(_logger, exception);
        }
    }

    private sealed class Entry(ConnectionManager owner, EndPoint remote)
    {
        private readonly Lock _lock = new();
        private readonly CancellationTokenSource _stop = new();
        private Connection? _live;
        private TaskCompletionSource<Connection>? _attempt;
        private Exception? _lastError;
        private Task? _loop;
        private bool _stopping;

        public Connection? Live => Volatile.Read(ref _live) is { IsClosed: false } live ? live : null;

        public ValueTask<Connection> GetAsync(CancellationToken cancellationToken)
        {
            Task<Connection> attempt;
            lock (_lock)
            {
                if (Live is { } live)
                {
                    return new(live);
                }

                if (_stopping)
                {
                    throw new ConnectionUnavailableException(remote, new ObjectDisposedException(nameof(ConnectionManager), "The endpoint is no longer maintained."));
                }

                if (_attempt is null)
                {
                    if (_loop is not null)
                    {
                        throw new ConnectionUnavailableException(remote, _lastError);
                    }

                    _attempt = new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _loop = Task.Run(MaintainAsync);
                }

                attempt = _attempt.Task;
            }

            return new(attempt.WaitAsync(cancellationToken));
        }

        public async Task StopAsync()
        {
            Task? loop;
            lock (_lock)
            {
                _stopping = true;
                loop = _loop;
            }

            // Outside the lock: cancellation runs the loop's continuation inline.
            await _stop.CancelAsync().ConfigureAwait(false);

            if (Volatile.Read(ref _live) is { } live)
            {
                await live.DisposeAsync().ConfigureAwait(false);
            }

            if (loop is not null)
            {
                await loop.ConfigureAwait(false);
            }

            _stop.Dispose();
        }

        private async Task MaintainAsync()
        {
            var token = _stop.Token;
            var failures = 0;
            while (!token.IsCancellationRequested)
            {
                TaskCompletionSource<Connection> attempt;
                lock (_lock)
                {
                    attempt = _attempt ??= new TaskCompletionSource<Connection>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                Connection connection;
                try
                {
                    connection = await owner._factory.ConnectAsync(remote, owner._local, token).ConfigureAwait(false);
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    failures++;
                    lock (_lock)
                    {
                        _lastError = exception;
                        _attempt = null;
                    }

                    attempt.TrySetException(exception is ConnectionException ? exception : new ConnectionException($"Could not connect to {remote}: {exception.Message}", exception));
                    _ = attempt.Task.Exception; // observed: a reconnection attempt may have no waiter
                    var delay = owner.NextDelay(failures);
                    LogConnectFailed(owner._logger, remote, failures, exception.Message, delay);
                    await DelayAsync(delay, token).ConfigureAwait(false);
                    continue;
                }
                catch (Exception exception)
                {
                    attempt.TrySetException(new ConnectionUnavailableException(remote, exception));
                    break;
                }

                connection.Start(owner._handler);
                lock (_lock)
                {
                    _live = connection;
                    _attempt = null;
                    _lastError = null;
                }

                failures = 0;
                LogConnected(owner._logger, remote, connection.RemoteHello!);
                attempt.TrySetResult(connection);
                owner.Raise(owner.Connected, connection);
                if (token.IsCancellationRequested)
                {
                    // Stopped while connecting: StopAsync may have looked before _live was set.
                    await connection.DisposeAsync().ConfigureAwait(false);
                    break;
                }

                var error = await connection.Closed.ConfigureAwait(false);
                lock (_lock)
                {
                    _live = null;
                    _lastError = error ?? new ConnectionClosedException($"The connection to {remote} was closed.");
                }

                if (token.IsCancellationRequested)
                {
                    break;
                }

                failures = 1;
                var retry = owner.NextDelay(failures);
                LogLost(owner._logger, remote, error?.Message ?? "closed", retry);
                owner.Raise(owner.ConnectionLost, new ConnectionLoss(remote, connection, error));
                await DelayAsync(retry, token).ConfigureAwait(false);
            }

            lock (_lock)
            {
                _attempt?.TrySetException(new ConnectionUnavailableException(remote, new ObjectDisposedException(nameof(ConnectionManager), "The endpoint is no longer maintained.")));
                _attempt = null;
            }
        }

        private async Task DelayAsync(TimeSpan delay, CancellationToken token)
        {
            try
            {
                await Task.Delay(delay, owner._time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped: the loop ends.
            }
        }
    }

    private TimeSpan NextDelay(int failures) => Backoff(failures, _options.ReconnectInitialDelay, _options.ReconnectMaxDelay, Random.Shared.NextDouble());

    [LoggerMessage(3060, LogLevel.Information, "Connected to {Remote}: {Peer}")]
    private static partial void LogConnected(ILogger logger, EndPoint remote, HelloMessage peer);

    [LoggerMessage(3061, LogLevel.Warning, "Connecting to {Remote} failed (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    private static partial void LogConnectFailed(ILogger logger, EndPoint remote, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(3062, LogLevel.Warning, "Lost the connection to {Remote}: {Reason}; reconnecting in {Delay}")]
    private static partial void LogLost(ILogger logger, EndPoint remote, string reason, TimeSpan delay);

    [LoggerMessage(3063, LogLevel.Error, "A connection event handler failed")]
    private static partial void LogEventHandlerFailed(ILogger logger, Exception exception);
}
