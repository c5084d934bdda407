using Agents.AdoNet.Postgres;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>The shared storage contract, run against PostgreSQL with readable jsonb payloads.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainStorageConformanceTests(PostgresServerFixture postgres)
    : GrainStorageConformanceTests(() => PostgresConformance.CreateAsync(postgres, typeof(PostgresGrainStorageConformanceTests), PostgresStateFormat.Json));

/// <summary>The shared storage contract, run against PostgreSQL with bytea payloads.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBinaryGrainStorageConformanceTests(PostgresServerFixture postgres)
    : GrainStorageConformanceTests(() => PostgresConformance.CreateAsync(postgres, typeof(PostgresBinaryGrainStorageConformanceTests), PostgresStateFormat.Binary));

internal static class PostgresConformance
{
    public static async Task<IGrainStorage> CreateAsync(PostgresServerFixture postgres, Type testClass, PostgresStateFormat format) => new PostgresGrainStorage(
        "Default",
        new PostgresGrainStorageOptions { ConnectionString = await postgres.DatabaseForAsync(testClass), Format = format },
        JsonGrainStateSerializer.Default,
        NullLogger<PostgresGrainStorage>.Instance);
}
