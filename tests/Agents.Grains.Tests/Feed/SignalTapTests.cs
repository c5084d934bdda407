using Agents.Grains.Tests.Roles;
using Agents.Runtime.Testing;
using Agents.Signals;

namespace Agents.Grains.Tests.Feed;

/// <summary>Signal taps, the client's way to follow signals: live from Open, bounded waits, and gone when abandoned.</summary>
public sealed class SignalTapTests : IAsyncLifetime
{
    private const string Yaml = """
        agents:
          recent: { role: sink }
        """;

    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TestCluster _cluster;

    public SignalTapTests() => _cluster = RoleCluster.Builder(Yaml).WithTimeProvider(_time).Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public Task DisposeAsync() => _cluster.StopAsync();

    [Fact]
    public async Task A_tap_returns_matching_signals_published_after_it_opened_and_nothing_else()
    {
        var tap = _cluster.Client.GetGrain<ISignalTapGrain>(Guid.NewGuid());
        await tap.Open("orders.*");
        await _cluster.PublishAsync("orders.created", new { n = 1 });
        await _cluster.PublishAsync("invoices.created", new { n = 2 });
        await _cluster.PublishAsync("orders.paid", new { n = 3 });

        var seen = new List<Signal>();
        await Eventually.HoldsAsync(async () =>
        {
            seen.AddRange((await tap.Next(100, TimeSpan.Zero)).Signals);
            return seen.Count >= 2;
        }, "both order signals reached the tap");

        Assert.Equal(["orders.created", "orders.paid"], seen.Select(s => s.Topic));
    }

    [Fact]
    public async Task A_tap_nobody_polls_closes_itself_after_a_minute()
    {
        var tap = _cluster.Client.GetGrain<ISignalTapGrain>(Guid.NewGuid());
        await tap.Open("#");
        Assert.Empty((await tap.Next(10, TimeSpan.Zero)).Signals);

        _time.Advance(TimeSpan.FromMinutes(2));

        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await tap.Next(10, TimeSpan.Zero);
                _time.Advance(TimeSpan.FromMinutes(2));
                return false;
            }
            catch (InvalidOperationException error) when (error.Message.Contains("is not open", StringComparison.Ordinal))
            {
                return true;
            }
        }, "the abandoned tap closed and says so");
    }

    [Fact]
    public async Task A_bad_pattern_is_refused_when_the_tap_opens()
    {
        var tap = _cluster.Client.GetGrain<ISignalTapGrain>(Guid.NewGuid());

        var error = await Assert.ThrowsAsync<FormatException>(() => tap.Open("orders..created"));

        Assert.Contains("orders..created", error.Message, StringComparison.Ordinal);
    }
}
