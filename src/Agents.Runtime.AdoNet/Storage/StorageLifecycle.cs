namespace Agents.AdoNet.Storage;

/// <summary>
/// A provider's start and stop: initialization runs once (a failed attempt is retried by the next
/// call), and disposal waits for an initialization in flight, so nothing it starts is left running.
/// Once disposal has begun, every call fails with the provider's disposed error.
/// </summary>
/// <param name="initialize">Prepares the provider (schema, writer); runs on the thread pool.</param>
/// <param name="disposed">Creates the exception for a call after disposal.</param>
internal sealed class StorageLifecycle(Func<Task> initialize, Func<Exception> disposed)
{
    private readonly Lock _lock = new();
    private Task? _initialization;
    private volatile bool _disposed;

    /// <summary>Starts the initialization, or joins the one in flight or done.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Task initialization;
        lock (_lock)
        {
            // Checked under the lock disposal takes, so no writer can be started after disposal began.
            ThrowIfDisposed();
            if (_initialization is null || _initialization.IsFaulted || _initialization.IsCanceled)
            {
                _initialization = Task.Run(initialize, CancellationToken.None);
            }

            initialization = _initialization;
        }

        return initialization.IsCompletedSuccessfully ? Task.CompletedTask : initialization.WaitAsync(cancellationToken);
    }

    /// <summary>Completes at once when initialized, else initializes.</summary>
    public Task EnsureInitializedAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _initialization) is { IsCompletedSuccessfully: true } ? Task.CompletedTask : InitializeAsync(cancellationToken);

    public void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw disposed();
        }
    }

    /// <summary>
    /// Stops accepting calls and waits for an initialization in flight (whatever its outcome).
    /// False if disposal had already begun: the caller then has nothing to release.
    /// </summary>
    public async ValueTask<bool> TryBeginDisposeAsync()
    {
        Task? initialization;
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            initialization = _initialization;
        }

        // An initialization in flight finishes first, so the writer it creates is drained too.
        if (initialization is not null)
        {
            await initialization.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return true;
    }
}
