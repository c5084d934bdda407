using System.Globalization;
using Agents.AdoNet.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Agents.AdoNet.Postgres;

/// <summary>
/// What every table a cluster shares in PostgreSQL (membership, reminders) needs around its SQL: the
/// options checked, one connection pool with synchronous commits (an acknowledged write survives a
/// server crash), the schema set up once before the first call, commands with the configured timeout,
/// and errors that name the table, cluster and database but never the connection string.
/// </summary>
internal sealed class PostgresClusterTableCore : IAsyncDisposable
{
    private readonly StorageLifecycle _lifecycle;
    private readonly string _description;

    /// <param name="options">Checked options (see <see cref="ThrowIfInvalid{TOptions}"/>).</param>
    /// <param name="description">What the table is, for messages: "membership table", "reminder table".</param>
    /// <param name="tableName">The table's name, for messages.</param>
    /// <param name="applicationName">The connections' application_name, unless the connection string sets one.</param>
    /// <param name="initialize">Sets the schema up on an open connection (see <see cref="PostgresSchemaSetup"/>) and logs the outcome.</param>
    /// <param name="onInitializationFailed">Logs a failed set-up before it is reported to the caller.</param>
    public PostgresClusterTableCore(
        PostgresClusterTableOptions options,
        string description,
        string tableName,
        string applicationName,
        Func<NpgsqlConnection, int, Task> initialize,
        Action<Exception> onInitializationFailed)
    {
        ClusterId = options.ClusterId;
        _description = description;
        CommandTimeoutSeconds = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var connection = builder.ConnectionStringBuilder;
        connection.ApplicationName ??= applicationName;
        if (connection.Options?.Contains("synchronous_commit", StringComparison.OrdinalIgnoreCase) != true)
        {
            connection.Options = $"{connection.Options} -c synchronous_commit=on".Trim();
        }

        Database = $"database '{connection.Database ?? connection.Username}' on {connection.Host}:{connection.Port.ToString(CultureInfo.InvariantCulture)}";
        Location = $"cluster '{ClusterId}' in table '{tableName}' of {Database}";
        DataSource = builder.Build();
        _lifecycle = new StorageLifecycle(
            async () =>
            {
                try
                {
                    await using var open = await DataSource.OpenConnectionAsync();
                    await initialize(open, CommandTimeoutSeconds);
                }
                catch (Exception ex)
                {
                    onInitializationFailed(ex);
                    throw new AgentsException($"The PostgreSQL {description} could not prepare {Location}: {ex.Message}", ex);
                }
            },
            () => new ObjectDisposedException(description, $"The {description} of {Location} has been disposed."));
    }

    public string ClusterId { get; }

    /// <summary>"database 'x' on host:port": where the table is, without credentials.</summary>
    public string Database { get; }

    /// <summary>The cluster, table and database, for messages.</summary>
    public string Location { get; }

    public NpgsqlDataSource DataSource { get; }

    public int CommandTimeoutSeconds { get; }

    /// <summary>Throws <see cref="OptionsValidationException"/> with every failure: a table built by hand fails as early as a hosted one.</summary>
    public static void ThrowIfInvalid<TOptions>(TOptions options, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = validator.Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), validation.Failures);
        }
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => _lifecycle.InitializeAsync(cancellationToken);

    /// <summary>Fails after disposal; otherwise completes once the schema is set up.</summary>
    public Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        _lifecycle.ThrowIfDisposed();
        return _lifecycle.EnsureInitializedAsync(cancellationToken);
    }

    public NpgsqlCommand Command(string sql) => WithTimeout(DataSource.CreateCommand(sql));

    public NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        WithTimeout(new NpgsqlCommand(sql, connection, transaction));

    /// <summary>Runs a statement; a database error becomes an <see cref="AgentsException"/> naming <paramref name="action"/> and the table.</summary>
    public async Task<int> ExecuteAsync(NpgsqlCommand command, string action, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed(action, ex);
        }
    }

    /// <summary>The error for a failed <paramref name="action"/>.</summary>
    public AgentsException Failed(string action, Exception inner) => new($"The {_description} failed {action} for {Location}: {inner.Message}", inner);

    /// <summary>Stops accepting calls, waits for an initialization in flight, and closes the connection pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (await _lifecycle.TryBeginDisposeAsync())
        {
            await DataSource.DisposeAsync();
        }
    }

    private NpgsqlCommand WithTimeout(NpgsqlCommand command)
    {
        command.CommandTimeout = CommandTimeoutSeconds;
        return command;
    }
}
