using Agents.AdoNet.Sqlite;
using Agents.AdoNet.Tests.Support;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.AdoNet.Tests.Sqlite;

/// <summary>The shared storage contract, run against SQLite on a fresh file per test.</summary>
public sealed class SqliteGrainStorageConformanceTests : GrainStorageConformanceTests
{
    private readonly TempDirectory _directory;

    public SqliteGrainStorageConformanceTests()
        : this(new TempDirectory())
    {
    }

    private SqliteGrainStorageConformanceTests(TempDirectory directory)
        : base(() => Task.FromResult<IGrainStorage>(Create(directory)))
    {
        _directory = directory;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    private static SqliteGrainStorage Create(TempDirectory directory) => new(
        "Default",
        new SqliteGrainStorageOptions { DataSource = directory.File("agents.db") },
        JsonGrainStateSerializer.Default,
        NullLogger<SqliteGrainStorage>.Instance);
}
