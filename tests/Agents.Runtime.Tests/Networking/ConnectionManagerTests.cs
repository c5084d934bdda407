using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Agents.Runtime.Networking;

namespace Agents.Runtime.Tests.Networking;

public sealed class ConnectionManagerTests : IAsyncLifetime
{
    private readonly NetworkTestKit _kit = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _kit.DisposeAsync().AsTask();

    [Fact]
    public async Task Concurrent_first_uses_of_an_endpoint_share_one_connection()
    {
        var listener = _kit.Listen(new RecordingHandler());
        var manager = _kit.Manager(new RecordingHandler());

        var connections = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => manager.GetConnectionAsync(listener.LocalEndPoint).AsTask())));

        Assert.Single(connections.Distinct());
        Assert.True(manager.TryGetConnection(listener.LocalEndPoint, out var live));
        Assert.Same(connections[0], live);
        await Eventually.HoldsAsync(() => listener.Connections.Count == 1, "the listener holds exactly one connection");
    }

    [Fact]
    public async Task Loss_is_reported_and_the_manager_reconnects_with_backoff_once_the_listener_is_back()
    {
        var first = _kit.Listen(new RecordingHandler(echo: true));
        var port = first.LocalEndPoint.Port;
        var replies = new RecordingHandler();
        var manager = _kit.Manager(replies);
        var lost = new TaskCompletionSource<ConnectionLoss>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connected = new ConcurrentQueue<Connection>();
        manager.ConnectionLost += loss => lost.TrySetResult(loss);
        manager.Connected += connected.Enqueue;
        var before = await manager.GetConnectionAsync(first.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(before, replies, [1]);

        await first.DisposeAsync();

        var loss = await lost.Task.WaitAsync(NetworkTestKit.Patience);
        Assert.Same(before, loss.Connection);
        Assert.Equal(first.LocalEndPoint, loss.Remote);
        Assert.IsType<ConnectionClosedException>(loss.Error);
        Assert.Contains(replies.Closed, c => c.Connection == before && c.Error is ConnectionClosedException);
        Assert.False(before.TrySend(FrameKind.Message, FrameFlags.None, new byte[] { 2 }));

        // Nobody listens: attempts fail and back off; callers fail fast meanwhile instead of waiting.
        await _kit.LogAsync($"Connecting to {first.LocalEndPoint} failed (attempt 2)");
        await Assert.ThrowsAnyAsync<ConnectionException>(() => manager.GetConnectionAsync(first.LocalEndPoint).AsTask());

        var second = _kit.Listen(new RecordingHandler(echo: true), port: port);
        await Eventually.HoldsAsync(() => manager.TryGetConnection(first.LocalEndPoint, out _), "the manager reconnects to the new listener");
        var after = await manager.GetConnectionAsync(second.LocalEndPoint);
        Assert.NotSame(before, after);
        Assert.Equal(2, connected.Count);
        await NetworkTestKit.AssertEchoesAsync(after, replies, [3]);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_the_first_call_with_the_reason_and_later_calls_fast()
    {
        // A port that was just free: nobody listens there.
        var probe = _kit.Listen(new RecordingHandler());
        var endpoint = probe.LocalEndPoint;
        await probe.DisposeAsync();
        var manager = _kit.Manager(new RecordingHandler(), NetworkTestKit.Options(o =>
        {
            o.ReconnectInitialDelay = TimeSpan.FromSeconds(30);
            o.ReconnectMaxDelay = TimeSpan.FromSeconds(30);
        }));

        var first = await Assert.ThrowsAsync<ConnectionException>(() => manager.GetConnectionAsync(endpoint).AsTask());
        Assert.Contains($"Could not connect to {endpoint}", first.Message, StringComparison.Ordinal);

        var fast = await Assert.ThrowsAsync<ConnectionUnavailableException>(() => manager.GetConnectionAsync(endpoint).AsTask());
        Assert.Contains("Reconnection is retried in the background", fast.Message, StringComparison.Ordinal);
        Assert.Same(first, fast.InnerException);
    }

    [Fact]
    public async Task Forgetting_an_endpoint_closes_its_connection_without_reporting_a_loss()
    {
        var server = new RecordingHandler();
        var listener = _kit.Listen(server);
        var client = new RecordingHandler();
        var manager = _kit.Manager(client);
        var losses = 0;
        manager.ConnectionLost += _ => Interlocked.Increment(ref losses);
        var connection = await manager.GetConnectionAsync(listener.LocalEndPoint);

        await manager.ForgetAsync(listener.LocalEndPoint).WaitAsync(NetworkTestKit.Patience);

        Assert.Null(await connection.Closed.WaitAsync(NetworkTestKit.Patience));
        Assert.Contains(client.Closed, c => c.Connection == connection && c.Error is null);
        Assert.Empty(manager.Endpoints);
        Assert.Equal(0, losses);

        // The listener side sees the peer go away.
        await Eventually.HoldsAsync(() => server.Closed.Count == 1, "the listener reports the inbound connection closed");
        Assert.IsType<ConnectionClosedException>(server.Closed.Single().Error);
    }

    [Fact]
    public async Task Frames_still_queued_when_a_connection_closes_are_failed_not_lost_silently()
    {
        var listener = _kit.Listen(new RecordingHandler());
        var connection = await _kit.Manager(new RecordingHandler()).GetConnectionAsync(listener.LocalEndPoint);
        var writerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var releaseWriter = new ManualResetEventSlim();
        var failures = 0;

        // Hold the writer inside a body so that later frames stay queued (on a thread of its own, not the pool's).
        var blocked = Task.Factory.StartNew(() => connection.TrySend(FrameKind.Message, FrameFlags.None, null, (_, output) =>
        {
            writerEntered.SetResult();
            releaseWriter.Wait(NetworkTestKit.Patience);
            output.GetSpan(1)[0] = 1;
            output.Advance(1);
        }), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await writerEntered.Task.WaitAsync(NetworkTestKit.Patience);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, null, static (_, output) => output.Write(new byte[10]), (_, error) =>
            {
                Assert.IsType<ConnectionClosedException>(error);
                Interlocked.Increment(ref failures);
            }));
        }

        connection.Abort(new ConnectionClosedException("test abort"));
        releaseWriter.Set();

        Assert.True(await blocked.WaitAsync(NetworkTestKit.Patience));
        Assert.Equal("test abort", (await connection.Closed.WaitAsync(NetworkTestKit.Patience))!.Message);
        Assert.Equal(100, Volatile.Read(ref failures));
        Assert.False(connection.TrySend(FrameKind.Message, FrameFlags.None, new byte[1]));
    }

    [Theory]
    [InlineData(1, 50, 100)]
    [InlineData(2, 100, 200)]
    [InlineData(3, 200, 400)]
    [InlineData(10, 2_500, 5_000)]
    [InlineData(1_000, 2_500, 5_000)]
    public void Backoff_doubles_from_the_initial_delay_up_to_the_cap_with_half_of_it_random(int failures, int lowMs, int highMs)
    {
        var initial = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(5);

        Assert.Equal(TimeSpan.FromMilliseconds(lowMs), ConnectionManager.Backoff(failures, initial, max, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(highMs), ConnectionManager.Backoff(failures, initial, max, 1));
    }

    [Fact]
    public async Task A_dns_endpoint_connects_like_an_ip_endpoint()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();

        var connection = await _kit.Manager(replies).GetConnectionAsync(new DnsEndPoint("localhost", listener.LocalEndPoint.Port, System.Net.Sockets.AddressFamily.InterNetwork));

        await NetworkTestKit.AssertEchoesAsync(connection, replies, [5]);
    }
}
