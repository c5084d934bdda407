using Agents.Storage;

namespace Agents.Testing.Storage;

/// <summary>
/// The behaviour every <see cref="IGrainStorage"/> provider must show (see the contract on that
/// interface). A provider's test class derives from this one and supplies a factory; xunit runs
/// every case below against it.
/// </summary>
/// <remarks>
/// Written to move unchanged into a shared testing library and run against the memory, SQLite and
/// PostgreSQL providers: it uses only the Abstractions contract and xunit, every case uses fresh
/// grain keys (so a shared database needs no cleanup between cases), and provider-specific checks
/// (durability, schema, corrupt rows) live in the providers' own test classes.
/// </remarks>
/// <param name="storageFactory">Creates the provider under test; it is disposed after each case if disposable.</param>
public abstract class GrainStorageConformanceTests(Func<Task<IGrainStorage>> storageFactory) : ProviderConformanceTests<IGrainStorage>(storageFactory)
{
    protected const string StateName = "state";

    private static readonly GrainType CounterType = new("conformance-counter");
    private static readonly GrainType ProfileType = new("conformance-profile");

    /// <summary>The provider under test; created before each case.</summary>
    protected IGrainStorage Storage => Provider;

    protected static GrainId NewGrainId(GrainType? type = null) => GrainId.Create(type ?? CounterType, Guid.NewGuid());

    [Fact]
    public async Task Reading_a_missing_record_resets_state_etag_and_RecordExists()
    {
        var grainState = new GrainState<SampleState>(SampleState.Create("left over")) { ETag = "42", RecordExists = true };

        await Storage.ReadStateAsync(StateName, NewGrainId(), grainState);

        Assert.NotNull(grainState.State);
        Assert.Equal(new SampleState().Name, grainState.State.Name);
        Assert.Empty(grainState.State.Numbers);
        Assert.Null(grainState.ETag);
        Assert.False(grainState.RecordExists);
    }

    [Fact]
    public async Task A_written_state_reads_back_equal()
    {
        var grainId = NewGrainId();
        var original = SampleState.Create("round trip");
        var written = new GrainState<SampleState>(original);

        await Storage.WriteStateAsync(StateName, grainId, written);
        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        SampleState.AssertEqual(original, read.State);
    }

    [Fact]
    public async Task Every_write_produces_a_new_etag()
    {
        var grainId = NewGrainId();
        var grainState = new GrainState<SampleState>(SampleState.Create("v"));
        var etags = new List<string>();

        for (var i = 0; i < 5; i++)
        {
            grainState.State.Counter = i;
            await Storage.WriteStateAsync(StateName, grainId, grainState);
            etags.Add(grainState.ETag!);
        }

        Assert.Equal(etags.Count, etags.Distinct(StringComparer.Ordinal).Count());

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(etags[^1], read.ETag);
        Assert.Equal(4, read.State.Counter);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_stores_nothing()
    {
        var grainId = NewGrainId();
        var first = new GrainState<SampleState>(SampleState.Create("first"));
        await Storage.WriteStateAsync(StateName, grainId, first);

        var stale = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, stale);
        var staleEtag = stale.ETag;

        first.State.Name = "second";
        await Storage.WriteStateAsync(StateName, grainId, first);

        stale.State.Name = "lost update";
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grainId, stale));

        Assert.Equal(first.ETag, ex.StoredEtag);
        Assert.Equal(staleEtag, ex.CurrentEtag);
        Assert.Contains(grainId.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains(StateName, ex.Message, StringComparison.Ordinal);
        Assert.Equal(staleEtag, stale.ETag);

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal("second", read.State.Name);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task A_write_with_a_null_etag_over_an_existing_record_throws()
    {
        var grainId = NewGrainId();
        var existing = new GrainState<SampleState>(SampleState.Create("existing"));
        await Storage.WriteStateAsync(StateName, grainId, existing);

        var blind = new GrainState<SampleState>(SampleState.Create("blind"));
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grainId, blind));
        Assert.Equal(existing.ETag, ex.StoredEtag);
        Assert.Null(ex.CurrentEtag);

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal("existing", read.State.Name);
    }

    [Fact]
    public async Task A_cleared_record_reads_as_missing_and_can_be_written_again()
    {
        var grainId = NewGrainId();
        var grainState = new GrainState<SampleState>(SampleState.Create("doomed"));
        await Storage.WriteStateAsync(StateName, grainId, grainState);

        await Storage.ClearStateAsync(StateName, grainId, grainState);
        Assert.Null(grainState.ETag);
        Assert.False(grainState.RecordExists);

        var read = new GrainState<SampleState>(SampleState.Create("left over")) { ETag = "1", RecordExists = true };
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal(new SampleState().Name, read.State.Name);

        grainState.State.Name = "reborn";
        await Storage.WriteStateAsync(StateName, grainId, grainState);
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("reborn", read.State.Name);
    }

    [Fact]
    public async Task An_etag_from_before_a_clear_does_not_match_the_record_written_after_it()
    {
        var grainId = NewGrainId();
        var owner = new GrainState<SampleState>(SampleState.Create("v1"));
        await Storage.WriteStateAsync(StateName, grainId, owner);
        var old = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, old);

        await Storage.ClearStateAsync(StateName, grainId, owner);
        await Storage.WriteStateAsync(StateName, grainId, owner);

        // Whatever the new ETag looks like, a reader of the old incarnation must not overwrite it.
        old.State.Name = "from before the clear";
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grainId, old));
    }

    [Fact]
    public async Task Clearing_with_a_stale_etag_throws_and_keeps_the_record()
    {
        var grainId = NewGrainId();
        var owner = new GrainState<SampleState>(SampleState.Create("keep me"));
        await Storage.WriteStateAsync(StateName, grainId, owner);
        var stale = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, stale);
        await Storage.WriteStateAsync(StateName, grainId, owner);

        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(StateName, grainId, stale));
        Assert.Equal(owner.ETag, ex.StoredEtag);

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("keep me", read.State.Name);
    }

    [Fact]
    public async Task Clearing_a_missing_record_with_a_null_etag_succeeds()
    {
        var grainState = new GrainState<SampleState>(new SampleState());

        await Storage.ClearStateAsync(StateName, NewGrainId(), grainState);

        Assert.Null(grainState.ETag);
        Assert.False(grainState.RecordExists);
    }

    [Fact]
    public async Task Of_twenty_concurrent_first_writes_exactly_one_wins()
    {
        var grainId = NewGrainId();
        var contenders = Enumerable.Range(0, 20)
            .Select(i => new GrainState<SampleState>(SampleState.Create($"contender {i}")))
            .ToArray();

        var outcomes = await Task.WhenAll(contenders.Select(c => Task.Run(() => Outcome(() => Storage.WriteStateAsync(StateName, grainId, c)))));

        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.IsType<InconsistentStateException>(o));

        var winner = contenders[Array.IndexOf(outcomes, null)];
        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(winner.State.Name, read.State.Name);
        Assert.Equal(winner.ETag, read.ETag);
    }

    [Fact]
    public async Task Fifty_concurrent_writers_to_different_grains_all_succeed()
    {
        var writes = Enumerable.Range(0, 50)
            .Select(i => (GrainId: NewGrainId(), State: new GrainState<SampleState>(SampleState.Create($"grain {i}"))))
            .ToArray();

        await Task.WhenAll(writes.Select(w => Task.Run(() => Storage.WriteStateAsync(StateName, w.GrainId, w.State))));

        foreach (var (grainId, written) in writes)
        {
            var read = new GrainState<SampleState>(new SampleState());
            await Storage.ReadStateAsync(StateName, grainId, read);
            Assert.True(read.RecordExists);
            Assert.Equal(written.ETag, read.ETag);
            Assert.Equal(written.State.Name, read.State.Name);
        }
    }

    [Fact]
    public async Task Records_differing_only_in_grain_type_or_state_name_are_independent()
    {
        var key = Guid.NewGuid();
        var counter = GrainId.Create(CounterType, key);
        var profile = GrainId.Create(ProfileType, key);

        var a = new GrainState<SampleState>(SampleState.Create("counter/state"));
        var b = new GrainState<SampleState>(SampleState.Create("profile/state"));
        var c = new GrainState<SampleState>(SampleState.Create("counter/other"));
        await Storage.WriteStateAsync(StateName, counter, a);
        await Storage.WriteStateAsync(StateName, profile, b);
        await Storage.WriteStateAsync("other", counter, c);

        await Storage.ClearStateAsync(StateName, profile, b);

        var read = new GrainState<SampleState>(new SampleState());
        await Storage.ReadStateAsync(StateName, counter, read);
        Assert.Equal("counter/state", read.State.Name);
        await Storage.ReadStateAsync("other", counter, read);
        Assert.Equal("counter/other", read.State.Name);
        await Storage.ReadStateAsync(StateName, profile, read);
        Assert.False(read.RecordExists);
        await Storage.ReadStateAsync("other", profile, read);
        Assert.False(read.RecordExists);
    }

    // A provider may throw synchronously or return a faulted task; both are the same outcome.
    private static async Task<Exception?> Outcome(Func<Task> operation)
    {
        try
        {
            await operation();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
