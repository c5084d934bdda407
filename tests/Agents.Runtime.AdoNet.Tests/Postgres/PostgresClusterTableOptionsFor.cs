using Agents.AdoNet.Postgres;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>Options for a fresh, empty cluster table (membership, reminders) in a conformance test.</summary>
internal static class PostgresClusterTableOptionsFor
{
    /// <summary>The test class's own database and a cluster id no other test uses, then <paramref name="configure"/>.</summary>
    public static async Task<TOptions> FreshAsync<TOptions>(PostgresServerFixture postgres, Type testClass, string clusterPrefix, Action<TOptions>? configure)
        where TOptions : PostgresClusterTableOptions, new()
    {
        var options = new TOptions
        {
            ConnectionString = await postgres.DatabaseForAsync(testClass),
            ClusterId = clusterPrefix + Guid.NewGuid().ToString("N"),
        };
        configure?.Invoke(options);
        return options;
    }
}
