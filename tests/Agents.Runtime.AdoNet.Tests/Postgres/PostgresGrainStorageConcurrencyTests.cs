using Agents.AdoNet.Postgres;
using Agents.AdoNet.Tests.Support;
using Agents.Storage;
using Agents.Testing.Storage;
using Npgsql;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>Racing writers, silos and batches: the compare-and-swap holds and one write's trouble stays its own.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainStorageConcurrencyTests(PostgresServerFixture postgres) : PostgresStorageTestBase(postgres)
{
    [Fact]
    public async Task Of_twenty_concurrent_first_writes_across_two_providers_exactly_one_wins()
    {
        // Two providers are two silos: separate pools, separate batches, one table.
        var left = Open();
        var right = Open();
        await Task.WhenAll(left.InitializeAsync(), right.InitializeAsync());
        var grainId = NewGrainId();
        var contenders = Enumerable.Range(0, 20).Select(i => new GrainState<SampleState>(SampleState.Create($"contender {i}"))).ToArray();

        var outcomes = await Task.WhenAll(contenders.Select((state, i) => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? left : right).WriteStateAsync(StateName, grainId, state);
                return null;
            }
            catch (InconsistentStateException ex)
            {
                return ex;
            }
        })));

        Assert.Single(outcomes, o => o is null);
        var winner = contenders[Array.IndexOf(outcomes, null)];
        Assert.Equal("1", winner.ETag);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal("1", o!.StoredEtag));

        var read = new GrainState<SampleState>(new SampleState());
        await right.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(winner.State.Name, read.State.Name);
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM {Table} WHERE grain_key = $1", grainId.Key));
    }

    [Fact]
    public async Task Nineteen_concurrent_updates_holding_one_etag_leave_exactly_one_winner_each_round()
    {
        var left = Open();
        var right = Open();
        var grainId = NewGrainId();
        var owner = new GrainState<SampleState>(SampleState.Create("v1"));
        await left.WriteStateAsync(StateName, grainId, owner);

        // Each round every contender holds the current ETag; exactly one may advance it.
        for (var round = 0; round < 5; round++)
        {
            var etag = owner.ETag;
            var contenders = Enumerable.Range(0, 19).Select(i => new GrainState<SampleState>(SampleState.Create($"r{round} c{i}")) { ETag = etag }).ToArray();
            var results = await Task.WhenAll(contenders.Select((c, i) => Task.Run(async () =>
            {
                try
                {
                    await (i % 2 == 0 ? left : right).WriteStateAsync(StateName, grainId, c);
                    return true;
                }
                catch (InconsistentStateException)
                {
                    return false;
                }
            })));

            Assert.Single(results, r => r);
            owner = contenders[Array.IndexOf(results, true)];
        }

        Assert.Equal("6", owner.ETag);
    }

    [Fact]
    public async Task Writes_queued_behind_a_committing_batch_share_the_next_commit()
    {
        var logger = new RecordingLogger<PostgresGrainStorage>();
        var storage = Open(o => o.MaxConcurrentBatches = 1, logger);
        await storage.InitializeAsync();

        Task[] pending;
        await using (await LockTableAsync())
        {
            pending = Enumerable.Range(0, 50)
                .Select(i => storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(SampleState.Create($"g{i}"))))
                .ToArray();
            Assert.All(pending, task => Assert.False(task.IsCompleted));
        }

        await Task.WhenAll(pending);

        // A batch is logged after its writes complete: the last one's line may come a moment after them.
        int Committed() => logger.Entries.Where(e => e.EventId.Id == 2301).Sum(b => (int)b.Values.Single(v => v.Key == "Count").Value!);
        await Agents.Runtime.Testing.Eventually.HoldsAsync(() => Committed() == 50, "both batches are logged");
        Assert.InRange(logger.Entries.Count(e => e.EventId.Id == 2301), 1, 2);
    }

    [Fact]
    public async Task A_write_the_server_rejects_fails_alone_and_the_rest_of_its_batch_commits()
    {
        var logger = new RecordingLogger<PostgresGrainStorage>();
        var storage = Open(o => o.MaxConcurrentBatches = 1, logger);
        await storage.InitializeAsync();

        // jsonb cannot hold U+0000, which System.Text.Json writes as \u0000: the server rejects that one statement.
        var bad = NewGrainId();
        var good = Enumerable.Range(0, 20).Select(_ => NewGrainId()).ToArray();
        Task badWrite;
        Task[] goodWrites;
        await using (await LockTableAsync())
        {
            goodWrites = good.Take(10).Select(Write).ToArray();
            badWrite = storage.WriteStateAsync(StateName, bad, new GrainState<SampleState>(SampleState.Create("nul \0 inside")));
            goodWrites = [.. goodWrites, .. good.Skip(10).Select(Write)];
        }

        var ex = await Assert.ThrowsAsync<GrainStateException>(() => badWrite);
        await Task.WhenAll(goodWrites);

        Assert.Contains(bad.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("not committed", ex.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(ex.InnerException);
        Assert.Contains(logger.Entries, e => e.EventId.Id == 2306);
        Assert.Equal(20L, await ScalarAsync($"SELECT count(*) FROM {Table}"));

        Task Write(GrainId grainId) => storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("fine")));
    }

    [Fact]
    public async Task A_rejected_write_leaves_its_connection_usable_whichever_use_of_the_statement_it_was()
    {
        // Npgsql auto-prepares a statement on one of its first uses on a connection; a write rejected on
        // exactly that use used to leave the connection unusable ("unexpected backend message DataRow",
        // npgsql/npgsql#6391). One pooled writer connection, the rejected write at each early position.
        for (var position = 1; position <= 6; position++)
        {
            var storage = Open(o =>
            {
                o.MaxConcurrentBatches = 1;
                o.ConnectionString += ";Maximum Pool Size=2";
            });
            await storage.InitializeAsync();
            for (var i = 1; i < position; i++)
            {
                await Write(storage, NewGrainId());
            }

            var rejected = await Record.ExceptionAsync(() => storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(SampleState.Create("nul \0 inside"))));
            Assert.True(rejected is GrainStateException { InnerException: PostgresException }, $"position {position}: {rejected}");
            for (var i = 0; i < 8; i++)
            {
                await Write(storage, NewGrainId());
            }
        }

        static Task Write(PostgresGrainStorage storage, GrainId grainId) =>
            storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("fine")));
    }

    [Fact]
    public async Task A_cancelled_write_is_either_stored_or_reported_cancelled_never_both()
    {
        var storage = Open(o => o.MaxConcurrentBatches = 1);
        await storage.InitializeAsync();
        var grainId = NewGrainId();
        using var cts = new CancellationTokenSource();

        Task blocked;
        Task write;
        await using (await LockTableAsync())
        {
            // The first write occupies the only lane behind the lock; the second is still queued when cancelled.
            blocked = storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(SampleState.Create("first")));
            write = storage.WriteStateAsync(StateName, grainId, new GrainState<SampleState>(SampleState.Create("maybe")), cts.Token);
            await cts.CancelAsync();
        }

        await blocked;
        var cancelled = false;
        try
        {
            await write;
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }

        var read = new GrainState<SampleState>(new SampleState());
        await storage.ReadStateAsync(StateName, grainId, read);
        Assert.NotEqual(cancelled, read.RecordExists);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            storage.WriteStateAsync(StateName, NewGrainId(), new GrainState<SampleState>(new SampleState()), cts.Token));
    }

    [Fact]
    public async Task Many_grains_writing_through_small_batches_on_two_providers_all_commit_in_order()
    {
        // Small batches and several lanes on each provider: every write of every grain lands, and
        // each grain's versions advance one by one (no write lost, none applied twice).
        var providers = new[] { Open(o => o.MaxBatchSize = 8), Open(o => o.MaxBatchSize = 8) };
        var grains = Enumerable.Range(0, 40).Select(_ => NewGrainId()).ToArray();

        await Task.WhenAll(grains.Select((grainId, g) => Task.Run(async () =>
        {
            var state = new GrainState<SampleState>(SampleState.Create($"grain {g}"));
            for (var i = 1; i <= 10; i++)
            {
                state.State.Counter = i;
                await providers[(g + i) % 2].WriteStateAsync(StateName, grainId, state);
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), state.ETag);
            }
        })));

        Assert.Equal(400L, await ScalarAsync($"SELECT sum(version) FROM {Table}") is decimal sum ? (long)sum : -1L);
        Assert.Equal(40L, await ScalarAsync($"SELECT count(*) FROM {Table} WHERE (payload->>'counter')::int = 10"));
    }
}
