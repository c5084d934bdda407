using System.Buffers;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>The format itself: headers, skipping, and what hostile input gets.</summary>
public sealed class WireFormatTests
{
    [Fact]
    public void A_small_field_id_and_its_wire_type_share_one_byte()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) => w.WriteInt32(3, -1));

        Assert.Equal([(3 << 3) | (byte)WireType.VarInt, 1], bytes);
    }

    [Fact]
    public void Large_field_ids_round_trip()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) => w.WriteString(WireWriter.MaxFieldId, "x"));

        var (field, text) = WireTestKit.Read(bytes, (ref WireReader r) =>
        {
            var f = r.ReadField();
            return (f, r.ReadString(f));
        });

        Assert.Equal(WireWriter.MaxFieldId, field.Id);
        Assert.Equal("x", text);
    }

    [Fact]
    public void A_reader_skips_fields_of_every_wire_type_it_does_not_know()
    {
        TestManifest.EnsureLoaded();
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteStartObject(0);
            w.WriteInt64(10, long.MinValue);
            w.WriteSingle(11, 1.5f);
            w.WriteDouble(12, 2.5);
            w.WriteString(13, "skipped");
            w.WriteStartObject(14);
            w.WriteStartObject(0);
            w.WriteEndObject();
            w.WriteEndObject();
            PolymorphicCodec.WriteTyped(ref w, 15, new List<string> { "a" });
            w.WriteNull(16);
            w.WriteInt32(1, 42);
            w.WriteEndObject();
        });

        var value = WireTestKit.Read(bytes, (ref WireReader r) =>
        {
            var found = 0;
            r.EnterObject(r.ReadField());
            while (r.ReadFieldHeader(out var field))
            {
                if (field.Id == 1)
                {
                    found = r.ReadInt32(field);
                }
                else
                {
                    r.SkipField(field);
                }
            }

            Assert.True(r.IsAtEnd);
            return found;
        });

        Assert.Equal(42, value);
    }

    [Fact]
    public void Widening_an_integer_field_is_compatible_and_narrowing_out_of_range_fails()
    {
        var small = WireTestKit.Write((ref WireWriter w) => w.WriteInt32(0, -5));
        var large = WireTestKit.Write((ref WireWriter w) => w.WriteInt64(0, long.MaxValue));

        Assert.Equal(-5L, WireTestKit.Read(small, (ref WireReader r) => r.ReadInt64(r.ReadField())));
        var error = Assert.Throws<SerializationException>(() => WireTestKit.Read(large, (ref WireReader r) => r.ReadInt32(r.ReadField())));
        Assert.Contains("out of the range of Int32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 'a')]
    [InlineData(42, 'a')]
    [InlineData(43, 'a')]
    [InlineData(42, 'é')]
    [InlineData(42, '€')]
    [InlineData(43, '€')]
    [InlineData(42, '\uD800')]
    [InlineData(200, 'a')]
    public void A_string_is_its_utf8_byte_count_as_a_varint_then_its_utf8_bytes(int length, char character)
    {
        var value = new string(character, length);
        var utf8 = System.Text.Encoding.UTF8.GetBytes(value);
        var expected = new List<byte> { (1 << 3) | (byte)WireType.LengthPrefixed };
        for (var count = (uint)utf8.Length; ; count >>= 7)
        {
            expected.Add((byte)(count < 0x80 ? count : (count & 0x7F) | 0x80));
            if (count < 0x80)
            {
                break;
            }
        }

        expected.AddRange(utf8);

        var bytes = WireTestKit.Write((ref WireWriter w) => w.WriteString(1, value));

        Assert.Equal(expected, bytes);
        Assert.Equal(value.Replace('\uD800', '\uFFFD'), WireTestKit.Read(bytes, (ref WireReader r) => r.ReadString(r.ReadField())));
    }

    [Fact]
    public void A_field_of_another_wire_type_is_rejected_with_its_id()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) => w.WriteString(7, "text"));

        var error = Assert.Throws<SerializationException>(() => WireTestKit.Read(bytes, (ref WireReader r) => r.ReadInt32(r.ReadField())));

        Assert.Contains("Field 7 has wire type LengthPrefixed where VarInt was expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_length_prefix_fails_fast_without_allocating()
    {
        // Ten bytes claiming a string of 2^31 - 1 bytes.
        byte[] hostile = [(0 << 3) | (byte)WireType.LengthPrefixed, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 1, 2, 3, 4];
        Assert.Throws<SerializationException>(() => Serializer.Deserialize<string>(hostile));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<string>(hostile));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("declares 2147483647 bytes but only 4 remain", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 32 * 1024, $"Rejecting the input allocated {allocated} bytes.");
    }

    [Fact]
    public void A_huge_collection_count_fails_fast_without_allocating()
    {
        // A list claiming 2^32 - 1 elements, in ten bytes.
        byte[] hostile = [(byte)WireType.StartObject, (byte)WireType.VarInt, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2, 3];
        Assert.Throws<SerializationException>(() => Serializer.Deserialize<List<Guid>>(hostile));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<List<Guid>>(hostile));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("4294967295 elements", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 32 * 1024, $"Rejecting the input allocated {allocated} bytes.");
    }

    [Fact]
    public void A_length_over_the_configured_maximum_fails_even_when_the_input_holds_it()
    {
        var bytes = Serializer.SerializeToArray(new string('x', 100));

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<string>(bytes, new SerializerOptions { MaxLength = 10 }));

        Assert.Contains("over the limit of 10 (SerializerOptions.MaxLength)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_input_is_a_serialization_exception()
    {
        TestManifest.EnsureLoaded();
        var bytes = Serializer.SerializeToArray(new Customer { Name = "Ada", Shipping = [new Address { City = "Paris" }] });

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            Assert.Throws<SerializationException>(() => Serializer.Deserialize<Customer>(prefix));
        }
    }

    [Fact]
    public void Hostile_nesting_is_bounded_instead_of_overflowing_the_stack()
    {
        var deep = new byte[100_000];
        deep.AsSpan().Fill((byte)WireType.StartObject);

        var error = Assert.Throws<SerializationException>(() => WireTestKit.Read(deep, (ref WireReader r) =>
        {
            r.SkipField(r.ReadField());
            return 0;
        }));

        Assert.Contains("more than 128 levels deep", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_a_cyclic_graph_fails_instead_of_overflowing_the_stack()
    {
        var list = new List<object?>();
        list.Add(list);

        var error = Assert.Throws<SerializationException>(() => Serializer.SerializeToArray<object>(list));

        Assert.Contains("has a cycle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_after_a_value_are_rejected()
    {
        var bytes = Serializer.SerializeToArray(1).Append((byte)0).ToArray();

        Assert.Throws<SerializationException>(() => Serializer.Deserialize<int>(bytes));
    }

    [Fact]
    public void A_multi_segment_sequence_reads_like_a_span()
    {
        TestManifest.EnsureLoaded();
        var customer = new Customer { Name = "Grace", Tags = ["x", "y"] };
        var bytes = Serializer.SerializeToArray(customer);
        var first = new Segment(bytes.AsMemory(0, 3));
        var last = first.Append(bytes.AsMemory(3));

        var copy = Serializer.Deserialize<Customer>(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        Assert.Equal("Grace", copy.Name);
        Assert.Equal(["x", "y"], copy.Tags.Order());
    }

    [Fact]
    public void A_small_buffer_writer_is_filled_across_many_spans()
    {
        var text = new string('é', 5000);
        var output = new TinyBufferWriter();

        Serializer.Serialize(new[] { text, text }, output);

        Assert.Equal([text, text], Serializer.Deserialize<string[]>(output.Written.ToArray()));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    /// <summary>Hands out spans no larger than asked for (at least 16 bytes), as a pipe near a segment's end may.</summary>
    private sealed class TinyBufferWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public IReadOnlyList<byte> Written => _written;

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 16)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
