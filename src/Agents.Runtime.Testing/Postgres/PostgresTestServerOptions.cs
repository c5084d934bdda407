namespace Agents.Runtime.Testing.Postgres;

/// <summary>How <see cref="PostgresTestServer.StartAsync"/> gets a server.</summary>
public sealed class PostgresTestServerOptions
{
    /// <summary>
    /// The connection string of an existing server to use instead of starting one. When null,
    /// the <c>AGENTS_TEST_POSTGRES</c> environment variable is used if set (see
    /// <see cref="UseEnvironmentVariable"/>); otherwise a throwaway server is started.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Whether <c>AGENTS_TEST_POSTGRES</c> may name an existing server. Default true.</summary>
    public bool UseEnvironmentVariable { get; set; } = true;

    /// <summary>The database created at start; <see cref="PostgresTestServer.ConnectionString"/> points at it.</summary>
    public string DatabaseName { get; set; } = "agents_test";

    /// <summary>
    /// Where <c>initdb</c> and <c>pg_ctl</c> live. Null: the newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>,
    /// then <c>PATH</c>.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>The server's <c>shared_buffers</c>: small, because every test assembly may run its own server.</summary>
    public string SharedBuffers { get; set; } = "32MB";

    /// <summary>The server's <c>max_connections</c>: room for several providers' pools at once.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>
    /// Further server settings written to <c>postgresql.conf</c> (name → value, quoted as needed by the
    /// caller), e.g. <c>["commit_delay"] = "10"</c> for a benchmark. Applied after the defaults, so they win.
    /// </summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The bound on initdb, start-up and the first successful connection together.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The bound on stopping the server; past it the postmaster is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
