using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace Agents.Runtime.Testing.Postgres;

/*
 * A real PostgreSQL for tests and benchmarks, no fakes.
 *
 * Lifecycle. StartAsync runs initdb into a fresh directory under the temp dir, appends the settings
 * below to postgresql.conf, starts the postmaster with pg_ctl on a free 127.0.0.1 port, waits (bounded)
 * until a real connection succeeds, and creates the test database. DisposeAsync runs
 * "pg_ctl stop -m fast" (bounded; past it the postmaster is killed) and deletes the directory.
 * StopServerAsync/StartServerAsync take the server down and bring it back on the same port with the
 * same data, for fault tests.
 *
 * Settings. listen_addresses=127.0.0.1 and a unix socket directory inside the temp dir, so nothing
 * outside this machine can connect and two servers never share a socket; fsync and synchronous_commit
 * on, because the providers under test promise durability and the benchmarks measure real commits;
 * small shared_buffers, because every test assembly may start its own server at the same time.
 * Passwords are random per server (scram-sha-256), even on loopback.
 *
 * Root. initdb and postgres refuse to run as root. Under root (CI) the directory is chowned to the
 * "postgres" OS user (created by the Debian package) and every tool runs as that user through
 * "runuser -u postgres --"; see PostgresInstallation.
 *
 * Leftovers. A server must not outlive its test run. Dispose stops it; a process-exit hook stops it
 * (immediate mode) if Dispose never ran; and a directory whose owner process is gone (a test host killed
 * with SIGKILL) is stopped and deleted by the next StartAsync on the machine.
 *
 * Existing servers. With AGENTS_TEST_POSTGRES (or Options.ConnectionString) set, nothing is started:
 * databases are created on that server and dropped again on dispose.
 */

/// <summary>
/// A throwaway PostgreSQL server for tests: started in a temp directory on a free loopback port,
/// stopped and deleted on dispose. Or, when <c>AGENTS_TEST_POSTGRES</c> holds a connection string,
/// that server, with databases created and dropped on it.
/// </summary>
public sealed partial class PostgresTestServer : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing server to use instead of starting one.</summary>
    public const string ConnectionStringVariable = "AGENTS_TEST_POSTGRES";

    private const string DirectoryPrefix = "agents-pg-";
    private const string OwnerFile = "owner.pid";

    private readonly PostgresInstallation? _installation;
    private readonly TimeSpan _stopTimeout;
    private readonly List<string> _createdDatabases = [];
    private readonly Lock _lock = new();
    private string _adminConnectionString;
    private int _disposed;

    private PostgresTestServer(string adminConnectionString, PostgresInstallation? installation, string? rootDirectory, TimeSpan stopTimeout)
    {
        _adminConnectionString = adminConnectionString;
        _installation = installation;
        RootDirectory = rootDirectory;
        _stopTimeout = stopTimeout;
        ConnectionString = adminConnectionString;
    }

    /// <summary>The connection string of the database created at start.</summary>
    public string ConnectionString { get; private set; }

    /// <summary>True when this is an existing server (<c>AGENTS_TEST_POSTGRES</c>), not one started here.</summary>
    public bool IsExternal => _installation is null;

    /// <summary>The temp directory holding the data directory, socket and log; null for an existing server.</summary>
    public string? RootDirectory { get; }

    /// <summary>The server's log file; null for an existing server.</summary>
    public string? LogFile => RootDirectory is null ? null : Path.Combine(RootDirectory, "server.log");

    private string? DataDirectory => RootDirectory is null ? null : Path.Combine(RootDirectory, "data");

    /// <summary>Starts a throwaway server (or attaches to <c>AGENTS_TEST_POSTGRES</c>) and creates its test database.</summary>
    /// <exception cref="InvalidOperationException">The PostgreSQL binaries are missing (the message says how to install them) or the server did not start.</exception>
    /// <exception cref="TimeoutException">The server was not accepting connections within <see cref="PostgresTestServerOptions.StartTimeout"/>.</exception>
    public static async Task<PostgresTestServer> StartAsync(PostgresTestServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PostgresTestServerOptions();
        var external = options.ConnectionString
            ?? (options.UseEnvironmentVariable ? Environment.GetEnvironmentVariable(ConnectionStringVariable) : null);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.StartTimeout);
        PostgresTestServer? server = null;
        try
        {
            server = string.IsNullOrWhiteSpace(external)
                ? await StartLocalAsync(options, deadline.Token).ConfigureAwait(false)
                : new PostgresTestServer(external, installation: null, rootDirectory: null, options.StopTimeout);
            await server.WaitUntilAcceptingAsync(deadline.Token).ConfigureAwait(false);
            // On a server of our own the name is exact; on a shared one a suffix keeps concurrent runs apart.
            server.ConnectionString = await server.CreateDatabaseAsync(options.DatabaseName, exactName: !server.IsExternal, deadline.Token).ConfigureAwait(false);
            return server;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // StartLocalAsync has already put the server log's tail into ex's message.
            var log = server?.ReadLogTail() ?? ex.Message;
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw new TimeoutException($"The PostgreSQL test server was not ready within {options.StartTimeout}. {log}", ex);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Creates a fresh, empty database and returns a connection string to it. The name starts with
    /// <paramref name="prefix"/> (lower-cased, other characters replaced) and ends with a random suffix.
    /// </summary>
    public Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default) =>
        CreateDatabaseAsync(prefix, exactName: false, cancellationToken);

    /// <summary>
    /// Stops the server process but keeps its data, so a fault test can take the database away from
    /// its clients; <see cref="StartServerAsync"/> brings it back. Not available for an existing server.
    /// </summary>
    public Task StopServerAsync(CancellationToken cancellationToken = default)
    {
        var installation = OwnServer();
        return installation.RunAsync("pg_ctl", ["-D", DataDirectory!, "-m", "fast", "-w", "-t", Seconds(_stopTimeout), "stop"],
            RootDirectory!, _stopTimeout + TimeSpan.FromSeconds(5), cancellationToken);
    }

    /// <summary>Starts the server again after <see cref="StopServerAsync"/>: same port, same data, same connection strings.</summary>
    public Task StartServerAsync(CancellationToken cancellationToken = default)
    {
        OwnServer();
        return StartPostmasterAsync(TimeSpan.FromMinutes(1), cancellationToken);
    }

    /// <summary>Stops the server and deletes its directory; for an existing server, drops the databases created here.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        NpgsqlConnection.ClearAllPools();
        if (_installation is null)
        {
            await DropCreatedDatabasesAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            await StopAsync(_installation, DataDirectory!, "fast", _stopTimeout).ConfigureAwait(false);
        }
        finally
        {
            DeleteDirectory(RootDirectory!);
        }
    }

    private static async Task<PostgresTestServer> StartLocalAsync(PostgresTestServerOptions options, CancellationToken cancellationToken)
    {
        var installation = PostgresInstallation.Find(options.BinDirectory);
        var baseDirectory = BaseDirectory(installation);
        SweepLeftovers(installation, baseDirectory);

        var root = Path.Combine(baseDirectory, DirectoryPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        System.IO.Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n", cancellationToken).ConfigureAwait(false);

        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Username = PostgresInstallation.ServiceUser,
            Password = password,
            Database = "postgres",
            Timeout = 5,
        };
        var server = new PostgresTestServer(admin.ConnectionString, installation, root, options.StopTimeout);
        try
        {
            await installation.GiveToServiceUserAsync(root, cancellationToken).ConfigureAwait(false);
            var data = server.DataDirectory!;

            // -N: skip initdb's final sync. The cluster is throwaway; fsync stays on for the running server.
            await installation.RunAsync("initdb",
                ["-D", data, "-U", PostgresInstallation.ServiceUser, "--pwfile", passwordFile, "--auth", "scram-sha-256",
                 "-E", "UTF8", "--locale", "C", "-N", "--no-instructions"],
                root, options.StartTimeout, cancellationToken).ConfigureAwait(false);
            File.Delete(passwordFile);
            await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), Settings(options, root), cancellationToken).ConfigureAwait(false);

            // A free port can be taken by someone else between probing and binding; try a few. The
            // port goes into postgresql.conf (the last "port" line wins), so a restart keeps it.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"port = {port.ToString(CultureInfo.InvariantCulture)}\n", cancellationToken).ConfigureAwait(false);
                try
                {
                    await server.StartPostmasterAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
                    admin.Port = port;
                    server._adminConnectionString = server.ConnectionString = admin.ConnectionString;
                    break;
                }
                catch (InvalidOperationException) when (attempt < 3 && (server.ReadLogTail() ?? string.Empty).Contains("could not bind", StringComparison.Ordinal))
                {
                    continue;
                }
            }

            AppDomain.CurrentDomain.ProcessExit += server.OnProcessExit;
            return server;
        }
        catch (OperationCanceledException ex)
        {
            // The directory goes with the server: keep what its log says about the delay.
            var log = server.ReadLogTail();
            await server.DisposeAsync().ConfigureAwait(false);
            throw new OperationCanceledException($"Start-up was cancelled.{log}", ex, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartPostmasterAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _installation!.RunAsync("pg_ctl", ["-D", DataDirectory!, "-l", LogFile!, "-w", "-t", Seconds(timeout), "start"],
                RootDirectory!, timeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"{ex.Message}{ReadLogTail()}", ex);
        }
    }

    private PostgresInstallation OwnServer()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _installation ?? throw new NotSupportedException(
            $"This is an existing server ({ConnectionStringVariable}); only a server started by PostgresTestServer can be stopped and started.");
    }

    private static string Settings(PostgresTestServerOptions options, string root)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["unix_socket_directories"] = Quote(root),
            ["fsync"] = "on",
            ["synchronous_commit"] = "on",
            ["full_page_writes"] = "on",
            ["shared_buffers"] = Quote(options.SharedBuffers),
            ["max_connections"] = options.MaxConnections.ToString(CultureInfo.InvariantCulture),
            // Tests create and drop many databases and tables; keep the log for real problems.
            ["log_min_messages"] = "warning",
            ["log_min_error_statement"] = "panic",
        };
        foreach (var (name, value) in options.Settings)
        {
            settings[name] = value;
        }

        return "\n# Agents test server\n" + string.Concat(settings.Select(s => $"{s.Key} = {s.Value}\n"));

        static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private async Task<string> CreateDatabaseAsync(string name, bool exactName, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!exactName)
        {
            var safe = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
            name = $"{safe[..Math.Min(safe.Length, 40)]}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        }

        await using (var connection = new NpgsqlConnection(AdminConnectionString()))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = name } } };
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    _createdDatabases.Add(name);
                }
            }
        }

        return ForDatabase(name, pooling: true);
    }

    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        // pg_ctl -w already waited for "ready"; this proves the TCP listener and the password work too.
        var connectionString = AdminConnectionString();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DropCreatedDatabasesAsync()
    {
        string[] names;
        lock (_lock)
        {
            names = [.. _createdDatabases];
        }

        using var deadline = new CancellationTokenSource(_stopTimeout);
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString());
            await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
            foreach (var name in names)
            {
                // FORCE: a pool someone forgot to dispose must not keep a test database alive.
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            // Best effort on a server we do not own: a leftover database must not fail the run.
            Trace.TraceWarning($"Could not drop test databases {string.Join(", ", names)}: {ex.Message}");
        }
    }

    private string? ReadLogTail()
    {
        try
        {
            return LogFile is { } log && File.Exists(log)
                ? $"{Environment.NewLine}Server log ({log}):{Environment.NewLine}{string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(20))}"
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A connection string to the database administrative commands run in: the one given, else "postgres".</summary>
    private string AdminConnectionString() =>
        ForDatabase(new NpgsqlConnectionStringBuilder(_adminConnectionString).Database ?? "postgres", pooling: false);

    private string ForDatabase(string database, bool pooling) =>
        new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = database, Pooling = pooling }.ConnectionString;
}
