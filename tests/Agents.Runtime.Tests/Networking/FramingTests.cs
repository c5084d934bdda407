using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Agents.Runtime.Networking;

namespace Agents.Runtime.Tests.Networking;

public sealed class FramingTests : IAsyncLifetime
{
    private readonly NetworkTestKit _kit = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _kit.DisposeAsync().AsTask();

    private static byte[] Pattern(int size, int seed = 0)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 31) + seed + (i >> 8));
        }

        return bytes;
    }

    [Fact]
    public async Task Frames_of_many_sizes_round_trip_byte_for_byte()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);
        int[] sizes = [0, 1, 7, 8, 100, 1016, 1017, 4096, 32_760, 32_768, 65_539, 1_000_000, 4 * 1024 * 1024];

        foreach (var size in sizes)
        {
            await NetworkTestKit.AssertEchoesAsync(connection, replies, Pattern(size, size));
        }
    }

    [Fact]
    public async Task A_body_written_in_many_small_pieces_arrives_whole()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);

        foreach (var size in new[] { 0, 900, 5_000, 70_000, 300_001 })
        {
            var body = Pattern(size, 3);
            // Pieces of varying size, each asking for more room than it uses, so the body outgrows the
            // pipe's first buffer and continues in overflow buffers.
            Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, body, static (state, output) =>
            {
                var source = (byte[])state!;
                var offset = 0;
                var piece = 1;
                while (offset < source.Length)
                {
                    var count = Math.Min(piece, source.Length - offset);
                    var span = output.GetSpan(count + 100);
                    source.AsSpan(offset, count).CopyTo(span);
                    output.Advance(count);
                    offset += count;
                    piece = (piece * 7 % 4093) + 1;
                }
            }));

            Assert.Equal(body, (await replies.NextAsync()).Body);
        }
    }

    [Fact]
    public async Task Ten_thousand_pipelined_frames_arrive_in_order_and_all_complete()
    {
        const int Count = 10_000;
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);

        for (var i = 0; i < Count; i++)
        {
            var body = new byte[4 + (i % 50)];
            BinaryPrimitives.WriteInt32LittleEndian(body, i);
            Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, body));
        }

        var frames = await replies.NextAsync(Count);
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(frames[i].Body));
            Assert.Equal(4 + (i % 50), frames[i].Body.Length);
        }
    }

    [Fact]
    public async Task Concurrent_senders_on_one_connection_keep_each_senders_order()
    {
        const int Senders = 8;
        const int PerSender = 2_000;
        var received = new RecordingHandler();
        var listener = _kit.Listen(received);
        var connection = await _kit.Manager(new RecordingHandler()).GetConnectionAsync(listener.LocalEndPoint);

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var senders = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < PerSender; i++)
            {
                var body = new byte[5];
                body[0] = (byte)sender;
                BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(1), i);
                Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, body));
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(senders).WaitAsync(NetworkTestKit.Patience);

        var frames = await received.NextAsync(Senders * PerSender);
        var next = new int[Senders];
        foreach (var frame in frames)
        {
            var sender = frame.Body[0];
            Assert.Equal(next[sender]++, BinaryPrimitives.ReadInt32LittleEndian(frame.Body.AsSpan(1)));
        }

        Assert.All(next, n => Assert.Equal(PerSender, n));
    }

    [Fact]
    public async Task Flags_travel_unchanged()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);

        Assert.True(connection.TrySend(FrameKind.Message, (FrameFlags)0xA5, new byte[] { 1 }));

        Assert.Equal((FrameFlags)0xA5, (await replies.NextAsync()).Header.Flags);
    }

    [Fact]
    public async Task An_oversized_frame_closes_that_connection_with_a_log_line_naming_the_limit_and_the_listener_serves_others()
    {
        var serverOptions = NetworkTestKit.Options(o => o.MaxFrameSize = 64 * 1024);
        var serverHandler = new RecordingHandler(echo: true);
        var listener = _kit.Listen(serverHandler, serverOptions);
        var firstReplies = new RecordingHandler();
        var first = await _kit.Manager(firstReplies).GetConnectionAsync(listener.LocalEndPoint);

        Assert.True(first.TrySend(FrameKind.Message, FrameFlags.None, new byte[100_000]));

        var line = await _kit.LogAsync("A frame of 100008 bytes from", "exceeds the limit of 65536 bytes (Agents:Networking:MaxFrameSize)");
        Assert.Contains(first.LocalEndPoint.ToString()!, line.Message, StringComparison.Ordinal);
        await first.Closed.WaitAsync(NetworkTestKit.Patience);
        await Eventually.HoldsAsync(() => serverHandler.Closed.Any(c => c.Error?.Message.Contains("limit of 65536 bytes", StringComparison.Ordinal) == true),
            "the server reports the connection closed because of the oversized frame");

        var secondReplies = new RecordingHandler();
        var second = await _kit.Manager(secondReplies).GetConnectionAsync(listener.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(second, secondReplies, Pattern(60_000));
    }

    [Fact]
    public async Task A_frame_too_large_to_send_is_refused_on_the_sending_side_and_the_connection_stays_up()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies, NetworkTestKit.Options(o => o.MaxFrameSize = 4096)).GetConnectionAsync(listener.LocalEndPoint);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);

        Assert.True(connection.TrySend(FrameKind.Message, FrameFlags.None, new byte[5000], static (body, output) => output.Write((byte[])body!), (_, error) => failed.TrySetResult(error)));

        var error = await failed.Task.WaitAsync(NetworkTestKit.Patience);
        Assert.IsType<FrameTooLargeException>(error);
        Assert.Contains("Agents:Networking:MaxFrameSize", error.Message, StringComparison.Ordinal);
        await NetworkTestKit.AssertEchoesAsync(connection, replies, Pattern(4000));
    }

    [Fact]
    public async Task A_body_writer_that_throws_fails_only_its_own_frame()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var replies = new RecordingHandler();
        var connection = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);

        connection.TrySend(FrameKind.Message, FrameFlags.None, null,
            static (_, output) => { output.GetSpan(10)[0] = 1; output.Advance(1); throw new InvalidOperationException("codec failure"); },
            (_, error) => failed.TrySetResult(error));
        await NetworkTestKit.AssertEchoesAsync(connection, replies, [9, 9, 9]);

        Assert.Equal("codec failure", (await failed.Task.WaitAsync(NetworkTestKit.Patience)).Message);
    }

    [Fact]
    public async Task Garbage_instead_of_a_frame_is_refused_with_a_log_line_and_the_listener_serves_others()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var raw = await _kit.RawSocketAsync(listener.LocalEndPoint);

        await raw.SendAsync("GET / HTTP/1.1\r\nHost: silo\r\n\r\n"u8.ToArray(), SocketFlags.None);

        await _kit.LogAsync("Malformed frame header from " + raw.LocalEndPoint, "unknown frame kind 0x2F");
        await NetworkTestKit.ReadUntilClosedAsync(raw);
        var replies = new RecordingHandler();
        var good = await _kit.Manager(replies).GetConnectionAsync(listener.LocalEndPoint);
        await NetworkTestKit.AssertEchoesAsync(good, replies, Pattern(10));
    }

    [Fact]
    public async Task A_malformed_header_after_the_handshake_is_refused_with_an_error_frame_and_a_log_line()
    {
        var listener = _kit.Listen(new RecordingHandler(echo: true));
        var raw = await _kit.RawSocketAsync(listener.LocalEndPoint);
        await raw.SendAsync(NetworkTestKit.EncodeHello(NetworkTestKit.SiloHello(port: 9)), SocketFlags.None);
        var bad = NetworkTestKit.EncodeFrame(FrameKind.Message, [1, 2, 3]);
        bad[6] = 0x01; // reserved bytes must be zero

        await raw.SendAsync(bad, SocketFlags.None);

        await _kit.LogAsync("Malformed frame header from " + raw.LocalEndPoint, "reserved header bytes are 0x0001");
        var lastWords = await NetworkTestKit.ReadUntilClosedAsync(raw);
        var error = LastFrame(lastWords);
        Assert.Equal(FrameKind.Error, error.Header.Kind);
        Assert.Contains("malformed frame header", System.Text.Encoding.UTF8.GetString(error.Body), StringComparison.Ordinal);
    }

    [Fact]
    public void The_parser_reads_a_header_split_across_segments_and_refuses_bad_lengths()
    {
        var frame = NetworkTestKit.EncodeFrame(FrameKind.Message, [1, 2, 3, 4, 5]);
        var split = Segments(frame[..3], frame[3..6], frame[6..]);

        Assert.Equal(FrameStatus.Complete, FrameParser.TryRead(ref split, 1024, out var header, out var body));
        Assert.Equal(13u, header.Length);
        Assert.Equal([1, 2, 3, 4, 5], body.ToArray());
        Assert.True(split.IsEmpty);

        var partial = new ReadOnlySequence<byte>(frame[..10]);
        Assert.Equal(FrameStatus.Incomplete, FrameParser.TryRead(ref partial, 1024, out _, out _));
        Assert.Equal(10, partial.Length);

        var tooShort = NetworkTestKit.EncodeFrame(FrameKind.Message, []);
        tooShort[0] = 3;
        var shortSequence = new ReadOnlySequence<byte>(tooShort);
        Assert.Equal(FrameStatus.Malformed, FrameParser.TryRead(ref shortSequence, 1024, out header, out _));
        Assert.Contains("shorter than the 8-byte header", FrameParser.Describe(header), StringComparison.Ordinal);

        var huge = NetworkTestKit.EncodeFrame(FrameKind.Message, []);
        BinaryPrimitives.WriteUInt32LittleEndian(huge, uint.MaxValue);
        var hugeSequence = new ReadOnlySequence<byte>(huge);
        Assert.Equal(FrameStatus.TooLarge, FrameParser.TryRead(ref hugeSequence, 1024, out _, out _));
    }

    private static (FrameHeader Header, byte[] Body) LastFrame(byte[] bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        (FrameHeader, byte[]) last = default;
        while (FrameParser.TryRead(ref sequence, int.MaxValue, out var header, out var body) == FrameStatus.Complete)
        {
            last = (header, body.ToArray());
        }

        return last;
    }

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
