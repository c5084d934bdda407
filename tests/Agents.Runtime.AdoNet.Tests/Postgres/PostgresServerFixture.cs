using System.Collections.Concurrent;
using Agents.Runtime.Testing.Postgres;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>
/// One real PostgreSQL server for every test class in <see cref="PostgresCollection"/>: started
/// before the first of them, stopped (and its directory deleted) after the last. Each test class gets
/// a fresh database of its own through <see cref="DatabaseForAsync"/>; tests inside a class use
/// fresh grain keys or table names, so they need no cleanup.
/// </summary>
/// <remarks>
/// Set <c>AGENTS_TEST_POSTGRES</c> to a connection string to run against an existing server instead;
/// the databases created on it are dropped afterwards.
/// </remarks>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<Type, Lazy<Task<string>>> _databases = new();
    private PostgresTestServer? _server;

    public PostgresTestServer Server => _server ?? throw new InvalidOperationException("The server is started in InitializeAsync.");

    public async Task InitializeAsync() => _server = await PostgresTestServer.StartAsync();

    /// <summary>The connection string of <paramref name="testClass"/>'s own database, created on first use.</summary>
    public Task<string> DatabaseForAsync(Type testClass) =>
        _databases.GetOrAdd(testClass, static (type, server) => new Lazy<Task<string>>(() => server.CreateDatabaseAsync(type.Name)), Server).Value;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// The test classes sharing one PostgreSQL server. xunit runs a collection's classes one after
/// another, so the server is started once per test run of this assembly.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "PostgreSQL server";
}
