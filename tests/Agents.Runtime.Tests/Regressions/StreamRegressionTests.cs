using Agents.Streams;

namespace Agents.Runtime.Tests.Regressions;

/// <summary>
/// Stream findings of the core review. Each test states the guarantee it checks (docs/runtime.md
/// and the invariants at the top of the runtime's files); a failure is the bug.
/// </summary>
public sealed class StreamRegressionTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    /// <summary>
    /// Memory streams: a producer takes a sequence token (NextToken) and enqueues in two steps, so
    /// with concurrent producers the pump delivers events out of token order.
    /// </summary>
    [Fact]
    public async Task Stream_events_reach_a_subscriber_in_sequence_token_order()
    {
        var stream = fixture.Client.GetStreamProvider("Default").GetStream<int>(StreamId.Create("regression-tokens", RegressionHarness.NewRun()));
        var tokens = new List<long>();
        const int Producers = 4;
        const int PerProducer = 5_000;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await stream.SubscribeAsync((_, token) =>
        {
            lock (tokens)
            {
                tokens.Add(token?.SequenceNumber ?? -1);
                if (tokens.Count == Producers * PerProducer)
                {
                    all.TrySetResult();
                }
            }

            return Task.CompletedTask;
        });

        using var start = new Barrier(Producers);
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    _ = stream.OnNextAsync((p * PerProducer) + i);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await handle.UnsubscribeAsync();

        List<long> snapshot;
        lock (tokens)
        {
            snapshot = [.. tokens];
        }

        var inversions = snapshot.Zip(snapshot.Skip(1)).Count(pair => pair.Second <= pair.First);
        Assert.True(inversions == 0, $"{inversions} of {snapshot.Count} events arrived with a token not above the previous one's");
    }
}
