using Agents.AdoNet.Sqlite.Reminders;
using Agents.AdoNet.Tests.Support;
using Agents.Runtime.Reminders;
using Agents.Testing.Reminders;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agents.AdoNet.Tests.Reminders;

/// <summary>The reminder table contract, run against SQLite on a fresh file per test, plus what only a file gives.</summary>
public sealed class SqliteReminderTableTests : ReminderTableConformanceTests
{
    private readonly TempDirectory _directory;

    public SqliteReminderTableTests()
        : this(new TempDirectory())
    {
    }

    private SqliteReminderTableTests(TempDirectory directory)
        : base(() => Task.FromResult<IReminderTable>(Create(directory)))
    {
        _directory = directory;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    private static SqliteReminderTable Create(TempDirectory directory) =>
        new(new SqliteReminderOptions { DataSource = directory.File("agents.db") }, NullLogger<SqliteReminderTable>.Instance);

    [Fact]
    public async Task Reminders_are_still_there_when_the_file_is_opened_again()
    {
        var grain = Grain("durable");
        var etag = await Table.UpsertRowAsync(Entry(grain));
        await ((IAsyncDisposable)Table).DisposeAsync();

        await using var reopened = Create(_directory);
        var row = await reopened.ReadRowAsync(grain, "tick");

        Assert.NotNull(row);
        Assert.Equal(etag, row.ETag);
        Assert.Equal(Start, row.StartAt);
    }

    [Fact]
    public void An_in_memory_database_is_refused_naming_the_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            new SqliteReminderTable(new SqliteReminderOptions { DataSource = ":memory:" }, NullLogger<SqliteReminderTable>.Instance));

        Assert.Contains("Agents:Reminders:DataSource", error.Message);
    }
}
