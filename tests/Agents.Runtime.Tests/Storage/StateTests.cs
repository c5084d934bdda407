using Agents.Runtime.Hosting;
using Agents.Runtime.Testing;
using Agents.Runtime.Tests.Grains;
using Agents.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Runtime.Tests.Storage;

public sealed class StateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agents-state-tests-").FullName;

    private TestCluster SqliteCluster() => new TestClusterBuilder()
        .ConfigureSilo(silo => silo.AddAdoNetProviders())
        .WithConfiguration("Agents:Storage:Default:Provider", "Sqlite")
        .WithConfiguration("Agents:Storage:Default:DataSource", Path.Combine(_directory, "grains.db"))
        .Build();

    [Fact]
    public async Task State_survives_a_silo_restart_on_sqlite()
    {
        await using var cluster = SqliteCluster();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<IStatefulGrain>("durable");
        await grain.Increment("one");
        await grain.Increment("two");
        Assert.Equal(3, await grain.Increment("three"));

        await cluster.RestartAsync();

        grain = cluster.Client.GetGrain<IStatefulGrain>("durable");
        Assert.Equal(3, await grain.Get());
        Assert.Equal(["one", "two", "three"], await grain.History());
        Assert.Equal(4, await grain.Increment("four"));
    }

    [Fact]
    public async Task Graceful_shutdown_runs_OnDeactivateAsync_where_grains_write_their_state()
    {
        await using var cluster = SqliteCluster();
        await cluster.DeployAsync();
        await cluster.Client.GetGrain<IStatefulGrain>("flushed").SetUnsaved(1_234);

        await cluster.RestartAsync();

        Assert.Equal(1_234, await cluster.Client.GetGrain<IStatefulGrain>("flushed").Get());
    }

    [Theory]
    [InlineData("Memory")]
    [InlineData("Sqlite")]
    public async Task A_write_with_a_stale_etag_throws_and_the_grain_reloads_fresh_state(string provider)
    {
        await using var cluster = provider == "Memory"
            ? new TestClusterBuilder().WithConfiguration("Agents:Storage:Default:Provider", "Memory").Build()
            : SqliteCluster();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<IStatefulGrain>("contended");
        await grain.Increment("mine");

        // Someone else writes the same record behind the activation's back.
        var storage = cluster.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var theirs = new GrainState<CounterState>(new CounterState());
        await storage.ReadStateAsync("counter", grain.GetGrainId(), theirs);
        theirs.State.Count = 100;
        await storage.WriteStateAsync("counter", grain.GetGrainId(), theirs);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Increment("stale"));
        Assert.Contains("counter", error.Message, StringComparison.Ordinal);
        Assert.Contains(grain.GetGrainId().ToString(), error.Message, StringComparison.Ordinal);

        // The activation was dropped, so the next call reads what is really stored.
        await Eventually.HoldsAsync(() => !cluster.IsActive(grain.GetGrainId()), "the stale activation was deactivated");
        Assert.Equal(100, await grain.Get());
        Assert.Equal(101, await grain.Increment("fresh"));
    }

    [Fact]
    public async Task Clearing_state_removes_the_record()
    {
        await using var cluster = SqliteCluster();
        await cluster.DeployAsync();
        var grain = cluster.Client.GetGrain<IStatefulGrain>("cleared");
        await grain.Increment("x");

        await grain.Clear();
        await cluster.RestartAsync();

        grain = cluster.Client.GetGrain<IStatefulGrain>("cleared");
        Assert.Equal(0, await grain.Get());
        Assert.Null(await grain.GetEtag());
    }

    [Fact]
    public async Task A_grain_whose_state_provider_is_missing_fails_its_call_naming_the_provider()
    {
        await using var cluster = new TestClusterBuilder().Build();
        await cluster.DeployAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.Client.GetGrain<IStatefulGrain>("orphan").Get());

        Assert.Contains("storage provider 'Default'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Agents:Storage:Default:Provider", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by SQLite's pool; the temp folder is cleaned by the OS.
        }
    }
}
