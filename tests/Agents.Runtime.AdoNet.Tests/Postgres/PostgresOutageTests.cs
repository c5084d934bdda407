using System.Diagnostics;
using Agents.AdoNet.Postgres;
using Agents.Runtime.Testing.Postgres;
using Agents.Storage;
using Agents.Testing.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.AdoNet.Tests.Postgres;

/// <summary>
/// The database goes away and comes back: calls fail promptly with a clear error instead of hanging,
/// nothing acknowledged is lost, and the provider works again once the server is back. Runs on a
/// server of its own, since it stops it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageTests(PostgresServerFixture postgres)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task After_a_restart_no_call_fails_on_a_connection_the_server_dropped()
    {
        if (postgres.Server.IsExternal)
        {
            return; // AGENTS_TEST_POSTGRES: not ours to restart
        }

        await using var server = await PostgresTestServer.StartAsync(new PostgresTestServerOptions { UseEnvironmentVariable = false });
        await using var storage = new PostgresGrainStorage(
            "Default", new PostgresGrainStorageOptions { ConnectionString = server.ConnectionString }, JsonGrainStateSerializer.Default, NullLogger<PostgresGrainStorage>.Instance);
        var grains = Enumerable.Range(0, 30).Select(_ => GrainId.Create(new GrainType("restart"), Guid.NewGuid())).ToArray();
        var states = grains.Select(_ => new GrainState<SampleState>(SampleState.Create("before"))).ToArray();

        // Fill the pool with idle connections, then restart the server under them.
        await Task.WhenAll(grains.Select((g, i) => storage.WriteStateAsync("state", g, states[i])));
        await Task.WhenAll(grains.Select(g => storage.ReadStateAsync("state", g, new GrainState<SampleState>(new SampleState()))));
        await server.StopServerAsync();
        await server.StartServerAsync();

        // Writes first: a batch on a dropped connection is retried on a fresh one (the server reports
        // the session's end, so nothing of the batch can have run).
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => storage.WriteStateAsync("state", grains[i], states[i]).WaitAsync(Bound)));
        for (var i = 0; i < grains.Length; i++)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await storage.ReadStateAsync("state", grains[i], read).WaitAsync(Bound);
            Assert.Equal(states[i].ETag, read.ETag);
        }
    }

    [Fact]
    public async Task While_the_server_is_down_calls_fail_promptly_and_afterwards_the_provider_recovers()
    {
        if (postgres.Server.IsExternal)
        {
            return; // AGENTS_TEST_POSTGRES: not ours to stop
        }

        await using var server = await PostgresTestServer.StartAsync(new PostgresTestServerOptions { UseEnvironmentVariable = false });
        await using var storage = new PostgresGrainStorage(
            "Default",
            new PostgresGrainStorageOptions { ConnectionString = server.ConnectionString + ";Timeout=3", CommandTimeout = TimeSpan.FromSeconds(5) },
            JsonGrainStateSerializer.Default,
            NullLogger<PostgresGrainStorage>.Instance);
        var grainId = GrainId.Create(new GrainType("outage"), Guid.NewGuid());
        var acknowledged = new GrainState<SampleState>(SampleState.Create("before the outage"));
        await storage.WriteStateAsync("state", grainId, acknowledged);

        await server.StopServerAsync();

        var clock = Stopwatch.StartNew();
        var attempt = new GrainState<SampleState>(SampleState.Create("during the outage")) { ETag = acknowledged.ETag };
        var writeError = await Assert.ThrowsAsync<GrainStateException>(() => storage.WriteStateAsync("state", grainId, attempt).WaitAsync(Bound));
        Assert.Contains(grainId.ToString(), writeError.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<GrainStateException>(() => storage.ReadStateAsync("state", grainId, new GrainState<SampleState>(new SampleState())).WaitAsync(Bound));
        Assert.True(clock.Elapsed < Bound, $"failing took {clock.Elapsed}");

        await server.StartServerAsync();

        // The write that failed was not stored; the acknowledged one was, and its ETag still rules.
        var read = new GrainState<SampleState>(new SampleState());
        await storage.ReadStateAsync("state", grainId, read).WaitAsync(Bound);
        Assert.Equal("before the outage", read.State.Name);
        Assert.Equal(acknowledged.ETag, read.ETag);
        read.State.Name = "after the outage";
        await storage.WriteStateAsync("state", grainId, read).WaitAsync(Bound);
    }
}
