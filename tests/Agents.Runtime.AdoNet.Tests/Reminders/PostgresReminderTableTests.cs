using Agents.AdoNet.Postgres.Reminders;
using Agents.AdoNet.Tests.Postgres;
using Agents.Runtime.Reminders;
using Agents.Testing.Reminders;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.AdoNet.Tests.Reminders;

/// <summary>The reminder table contract, run against PostgreSQL with the default table name, plus cluster isolation.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReminderTableTests(PostgresServerFixture postgres)
    : ReminderTableConformanceTests(() => PostgresReminders.CreateAsync(postgres, typeof(PostgresReminderTableTests)))
{
    [Fact]
    public async Task Clusters_sharing_a_database_never_see_each_others_reminders()
    {
        await using var other = (PostgresReminderTable)await PostgresReminders.CreateAsync(postgres, typeof(PostgresReminderTableTests));
        var grain = Grain("shared-name");
        await Table.UpsertRowAsync(Entry(grain));

        Assert.Null(await other.ReadRowAsync(grain, "tick"));
        Assert.Empty(await other.ReadRowsAsync([HashRange.All]));
        var etag = await other.UpsertRowAsync(Entry(grain, period: TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.FromSeconds(30), (await Table.ReadRowAsync(grain, "tick"))!.Period);
        Assert.False(await Table.RemoveRowAsync(grain, "tick", etag));
    }
}

/// <summary>The reminder table contract again, in a schema of its own under a custom prefix.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReminderTableInSchemaTests(PostgresServerFixture postgres)
    : ReminderTableConformanceTests(() => PostgresReminders.CreateAsync(
        postgres, typeof(PostgresReminderTableInSchemaTests), o => (o.Schema, o.TablePrefix) = ("cluster_state", "ops_")));

internal static class PostgresReminders
{
    /// <summary>A fresh, empty table: the test class's own database, and a cluster id no other test uses.</summary>
    public static async Task<IReminderTable> CreateAsync(PostgresServerFixture postgres, Type testClass, Action<PostgresReminderOptions>? configure = null)
    {
        var options = await PostgresClusterTableOptionsFor.FreshAsync(postgres, testClass, "reminders-", configure);
        return new PostgresReminderTable(options, NullLogger<PostgresReminderTable>.Instance);
    }
}
