using System.Buffers;
using System.IO.Pipelines;

namespace Agents.Runtime.Networking;

/*
 * The IBufferWriter a frame body is written into. The header must precede the body but holds the
 * body's length, known only once the body is written. So the body goes straight into the pipe's
 * current buffer, just after room left for the header, and nothing is committed to the pipe
 * (PipeWriter.Advance) until the body is complete: then the header is filled in and header + body
 * are advanced together. A body that outgrows that first buffer continues in buffers rented from
 * the array pool and is copied into the pipe at commit; small bodies, the common case, are never
 * copied. Because nothing is advanced before commit, a body writer that throws, or a body over the
 * size limit, is simply discarded and the pipe holds no trace of it.
 *
 * Used only by the holder of the connection's output (one thread at a time). Between frames it is
 * reset (Commit, Discard), so Begin only has to fetch the pipe's buffer.
 */
internal sealed class FrameBodyBuffer(PipeWriter output, int maxFrameSize) : IBufferWriter<byte>
{
    // Ask the pipe for at least this much after the header, so that most bodies fit in place.
    private const int FirstBufferHint = 1024;
    private const int MinOverflowChunk = 16 * 1024;

    private readonly int _maxBodyLength = maxFrameSize - FrameHeader.Size;
    private readonly List<(byte[] Array, int Written)> _overflow = [];
    private readonly PipeWriter _output = output;
    private Memory<byte> _first;
    private int _firstWritten;
    private int _overflowTotal;
    private bool _overflowing;

    /// <summary>Bytes of body written so far.</summary>
    public int Length => _firstWritten + _overflowTotal;

    /// <summary>Starts a frame in the pipe's current buffer.</summary>
    public void Begin() => _first = _output.GetMemory(FrameHeader.Size + FirstBufferHint);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (!_overflowing)
        {
            var free = _first.Length - FrameHeader.Size - _firstWritten;
            if (free >= sizeHint)
            {
                return _first[(FrameHeader.Size + _firstWritten)..];
            }

            _overflowing = true;
        }

        if (_overflow.Count > 0)
        {
            var (array, written) = _overflow[^1];
            if (array.Length - written >= sizeHint)
            {
                return array.AsMemory(written);
            }
        }

        if ((long)Length + sizeHint > _maxBodyLength)
        {
            throw TooLarge((long)Length + sizeHint);
        }

        var size = Math.Max(sizeHint, Math.Max(MinOverflowChunk, Length));
        _overflow.Add((ArrayPool<byte>.Shared.Rent(Math.Min(size, _maxBodyLength)), 0));
        return _overflow[^1].Array;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!_overflowing)
        {
            if (count > _first.Length - FrameHeader.Size - _firstWritten)
            {
                throw new InvalidOperationException("Advanced past the buffer returned by GetMemory.");
            }

            _firstWritten += count;
            if (_firstWritten > _maxBodyLength)
            {
                throw TooLarge(Length);
            }

            return;
        }

        var (array, written) = _overflow[^1];
        if (count > array.Length - written)
        {
            throw new InvalidOperationException("Advanced past the buffer returned by GetMemory.");
        }

        _overflow[^1] = (array, written + count);
        _overflowTotal += count;
        if (Length > _maxBodyLength)
        {
            throw TooLarge(Length);
        }
    }

    /// <summary>Writes the header and hands header + body to the pipe (not flushed); throws, leaving the pipe untouched, when the frame is too large.</summary>
    public void Commit(FrameKind kind, FrameFlags flags)
    {
        var output = _output;
        if (Length > _maxBodyLength)
        {
            throw TooLarge(Length);
        }

        FrameHeader.Write(_first.Span, FrameHeader.Size + Length, kind, flags);
        output.Advance(FrameHeader.Size + _firstWritten);
        if (_overflowing)
        {
            foreach (var (array, written) in _overflow)
            {
                output.Write(array.AsSpan(0, written));
            }
        }

        Reset();
    }

    /// <summary>Drops the frame being written; the pipe is left as it was before <see cref="Begin"/>.</summary>
    public void Discard() => Reset();

    private void Reset()
    {
        if (_overflow.Count > 0)
        {
            foreach (var (array, _) in _overflow)
            {
                ArrayPool<byte>.Shared.Return(array);
            }

            _overflow.Clear();
        }

        // _first is left as is: Begin replaces it, and clearing it would cost a write barrier per frame.
        _firstWritten = 0;
        _overflowTotal = 0;
        _overflowing = false;
    }

    private FrameTooLargeException TooLarge(long size) => new(FrameHeader.Size + size, _maxBodyLength + FrameHeader.Size);
}
