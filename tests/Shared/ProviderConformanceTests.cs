namespace Agents.Testing;

/// <summary>
/// The lifecycle every provider conformance suite shares: a fresh provider from the factory before
/// each case (prepared by <paramref name="prepare"/>), disposed after it if it is disposable. The
/// suites (grain storage, membership, reminders) derive from this and hold only their cases.
/// </summary>
/// <param name="factory">Creates the provider under test.</param>
/// <param name="prepare">Runs once on each new provider before the case (e.g. schema set-up); none when null.</param>
public abstract class ProviderConformanceTests<TProvider>(Func<Task<TProvider>> factory, Func<TProvider, Task>? prepare = null) : IAsyncLifetime
    where TProvider : class
{
    private TProvider? _provider;

    /// <summary>The provider under test; created before each case.</summary>
    protected TProvider Provider => _provider ?? throw new InvalidOperationException("The provider is created in InitializeAsync.");

    public virtual async Task InitializeAsync()
    {
        _provider = await factory();
        if (prepare is not null)
        {
            await prepare(_provider);
        }
    }

    public virtual async Task DisposeAsync()
    {
        switch (_provider)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        _provider = null;
    }
}
