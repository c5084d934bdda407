using Agents.Agents;
using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;
using Microsoft.Data.Sqlite;

namespace Agents.Grains.Tests.Agents;

/// <summary>
/// A handler whose save fails is retried from the state that is stored, not from the failed attempt's: with the database
/// locked by another connection, each attempt's write fails; once it is free, the signal counts once.
/// </summary>
public sealed class AgentSaveFailureTests : IAsyncLifetime
{
    private const string Yaml = """
        agents: { tally: {} }
        routes:
          - topic: tally.#
            agent: tally
            key: { json: $.k }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("agents-save-failure-").FullName;
    private TestCluster _cluster = null!;

    private string Database => Path.Combine(_directory, "grains.db");

    public Task InitializeAsync()
    {
        _cluster = RoleCluster.Builder(
                Yaml,
                agents => agents.AddAgent<TallyAgent>("tally"),
                ["tally"],
                new Dictionary<string, string?>
                {
                    ["Agents:Service:MaxAttempts"] = "60",
                    ["Agents:Service:FirstRetryDelay"] = "00:00:00.050",
                    ["Agents:Service:MaxRetryDelay"] = "00:00:00.100",
                },
                sqliteFile: Database)
            .WithConfiguration("Agents:Storage:Default:BusyTimeout", "00:00:00.050")
            .Build();
        return _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_signal_whose_saves_failed_counts_once_when_the_save_finally_succeeds()
    {
        await _cluster.PublishAsync("tally.add", new { k = "t" });
        await Eventually.HoldsAsync(async () => (await _cluster.AskAsync<int>("tally", "t", "count")) == 1, "the first signal is counted");

        await using (var locker = new SqliteConnection($"Data Source={Database}"))
        {
            await locker.OpenAsync();
            await using (var exclusive = locker.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE;";
                await exclusive.ExecuteNonQueryAsync();
            }

            await _cluster.PublishAsync("tally.add", new { k = "t" });
            await Eventually.HoldsAsync(() => TallyAgent.FailedSaves >= 3, "the agent's saves fail while the database is locked");

            await using var release = locker.CreateCommand();
            release.CommandText = "ROLLBACK;";
            await release.ExecuteNonQueryAsync();
        }

        await Eventually.HoldsAsync(async () => (await _cluster.DescribeAsync("tally", "t")).SignalsHandled == 2, "the second signal is handled once the database is free");
        Assert.Equal(2, await _cluster.AskAsync<int>("tally", "t", "count"));
        Assert.Equal(0, (await _cluster.DescribeAsync("tally", "t")).SignalsDeadLettered);
    }

    [Fact]
    public async Task A_record_written_by_someone_else_is_read_again_and_the_signal_is_handled_not_dead_lettered()
    {
        await _cluster.PublishAsync("tally.add", new { k = "u" });
        await Eventually.HoldsAsync(async () => (await _cluster.AskAsync<int>("tally", "u", "count")) == 1, "the first signal is counted");

        // Another writer moves the record's version on (as a save that timed out but was stored does): the agent's next
        // save finds its version stale.
        await using (var other = new SqliteConnection($"Data Source={Database}"))
        {
            await other.OpenAsync();
            await using var bump = other.CreateCommand();
            bump.CommandText = "UPDATE agents_grain_state SET version = version + 1 WHERE grain_type = 'agent';";
            Assert.Equal(1, await bump.ExecuteNonQueryAsync());
        }

        await _cluster.PublishAsync("tally.add", new { k = "u" });

        await Eventually.HoldsAsync(async () => (await _cluster.DescribeAsync("tally", "u")).SignalsHandled == 2, "the second signal is handled after the record is read again");
        Assert.Equal(2, await _cluster.AskAsync<int>("tally", "u", "count"));
        Assert.Equal(0, (await _cluster.DescribeAsync("tally", "u")).SignalsDeadLettered);
    }

    [Fact]
    public async Task A_dead_lettered_signal_stays_counted_and_skipped_after_a_restart()
    {
        var poison = Signal.Create("tally.add", """{"k":"v","poison":true}""", "/tests");
        await _cluster.PublishAsync(poison);
        await Eventually.HoldsAsync(async () => (await _cluster.DescribeAsync("tally", "v")).SignalsDeadLettered == 1, "the poisoned signal is dead-lettered");
        var runs = TallyAgent.PoisonRuns;

        await _cluster.RestartAsync();
        Assert.Equal(1, (await _cluster.DescribeAsync("tally", "v")).SignalsDeadLettered);

        // Delivered again (as a stream redelivers after a crash): skipped, not run again; the next signal is handled.
        await _cluster.PublishAsync(poison);
        await _cluster.PublishAsync("tally.add", new { k = "v" });
        await Eventually.HoldsAsync(async () => (await _cluster.AskAsync<int>("tally", "v", "count")) == 1, "the next signal is handled");
        Assert.Equal(runs, TallyAgent.PoisonRuns);
        Assert.Equal(1, (await _cluster.DescribeAsync("tally", "v")).SignalsDeadLettered);
    }

    /// <summary>Counts the signals it handles and saves after each; counts its failed saves.</summary>
    public sealed class TallyAgent : Agent<TallyAgent.Tally>
    {
        private static int _failedSaves;
        private static int _poisonRuns;

        public static int FailedSaves => Volatile.Read(ref _failedSaves);

        public static int PoisonRuns => Volatile.Read(ref _poisonRuns);

        protected override void Configure(AgentBehavior agent) => agent
            .On("tally.#", async signal =>
            {
                if (signal.Data.Contains("\"poison\":true", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _poisonRuns);
                    throw new Poisoned();
                }

                State.Count++;
                try
                {
                    await SaveStateAsync();
                }
                catch
                {
                    Interlocked.Increment(ref _failedSaves);
                    throw;
                }
            })
            .Answer<object?, int>("count", _ => Task.FromResult(State.Count));

        /// <summary>A failure no retry can fix, so the test need not wait out the retries.</summary>
        public sealed class Poisoned() : Exception("poisoned"), IRetryableFailure
        {
            public bool CanSucceedOnRetry => false;
        }

        public sealed class Tally
        {
            public int Count { get; set; }
        }
    }
}
