using Agents.AdoNet.Postgres;
using Agents.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>
/// Opens providers on the test class's own database (disposing them after each test) and runs raw
/// SQL beside them. Each test uses its own table name, so tests of one class never see each other's rows.
/// </summary>
public abstract class PostgresStorageTestBase(PostgresServerFixture postgres) : IAsyncLifetime
{
    protected const string StateName = "state";
    protected static readonly GrainType CounterType = new("counter");

    private readonly List<PostgresGrainStorage> _opened = [];

    /// <summary>A table of this test's own.</summary>
    protected string Table { get; } = "t_" + Guid.NewGuid().ToString("N")[..16];

    protected string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync() => ConnectionString = await postgres.DatabaseForAsync(GetType());

    public async Task DisposeAsync()
    {
        foreach (var storage in _opened)
        {
            await storage.DisposeAsync();
        }
    }

    protected PostgresGrainStorage Open(Action<PostgresGrainStorageOptions>? configure = null, ILogger<PostgresGrainStorage>? logger = null, IGrainStateSerializer? serializer = null)
    {
        var options = new PostgresGrainStorageOptions { ConnectionString = ConnectionString, TableName = Table };
        configure?.Invoke(options);
        var storage = new PostgresGrainStorage("Default", options, serializer ?? JsonGrainStateSerializer.Default, logger ?? NullLogger<PostgresGrainStorage>.Instance);
        _opened.Add(storage);
        return storage;
    }

    protected async Task<object?> ScalarAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// Holds an EXCLUSIVE lock on the test's table (reads pass, writes wait) until disposed: a barrier
    /// that lets a test queue writes behind a blocked batch without sleeps or timing assumptions.
    /// </summary>
    protected async Task<IAsyncDisposable> LockTableAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"LOCK TABLE {Table} IN EXCLUSIVE MODE", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new TableLock(connection, transaction);
    }

    protected static GrainId NewGrainId() => GrainId.Create(CounterType, Guid.NewGuid());

    private sealed class TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
