using Agents.AdoNet.Postgres.Membership;
using Agents.AdoNet.Tests.Postgres;
using Agents.Runtime.Membership;
using Agents.Testing.Membership;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.AdoNet.Tests.Membership;

/// <summary>The membership contract, run against PostgreSQL with the default table names in the search path.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMembershipTableConformanceTests(PostgresServerFixture postgres)
    : MembershipTableConformanceTests(() => PostgresMembershipConformance.CreateAsync(postgres, typeof(PostgresMembershipTableConformanceTests)));

/// <summary>The membership contract again, with the tables in a schema of their own under a custom prefix.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMembershipTableInSchemaConformanceTests(PostgresServerFixture postgres)
    : MembershipTableConformanceTests(() => PostgresMembershipConformance.CreateAsync(
        postgres, typeof(PostgresMembershipTableInSchemaConformanceTests), o => (o.Schema, o.TablePrefix) = ("cluster_state", "ops_")));

internal static class PostgresMembershipConformance
{
    /// <summary>A fresh, empty table: the test class's own database, and a cluster id no other test uses.</summary>
    public static async Task<IMembershipTable> CreateAsync(PostgresServerFixture postgres, Type testClass, Action<PostgresMembershipOptions>? configure = null)
    {
        var options = await PostgresClusterTableOptionsFor.FreshAsync(postgres, testClass, "conformance-", configure);
        return new PostgresMembershipTable(options, NullLogger<PostgresMembershipTable>.Instance);
    }
}
