using System.Collections.Immutable;
using Agents.Serialization;

namespace Agents.Runtime.Generators.Tests.Serialization;

/// <summary>Every built-in codec round-trips, statically typed and as an <c>object</c>.</summary>
public sealed class BuiltInCodecTests
{
    public static TheoryData<object> Values => new()
    {
        true,
        (byte)200,
        (sbyte)-100,
        (short)-30000,
        (ushort)60000,
        int.MinValue,
        uint.MaxValue,
        long.MinValue,
        ulong.MaxValue,
        'é',
        1.25f,
        Math.PI,
        -79228162514264337593543950335m,
        0.0000001m,
        "héllo wörld",
        string.Empty,
        new byte[] { 0, 1, 255 },
        Guid.NewGuid(),
        new DateTime(2024, 2, 29, 12, 30, 0, DateTimeKind.Utc),
        new DateTime(2024, 2, 29, 12, 30, 0, DateTimeKind.Unspecified),
        new DateTimeOffset(2024, 2, 29, 12, 30, 0, TimeSpan.FromHours(-5.5)),
        TimeSpan.FromMilliseconds(-1234.5),
        new DateOnly(1999, 12, 31),
        new TimeOnly(23, 59, 59, 999),
        GrainId.Create(new GrainType("counter"), "a/b"),
        new[] { 1, 2, 3 },
        new List<string?> { "a", null, "c" },
        new HashSet<int> { 3, 1, 2 },
        new Dictionary<string, List<int>> { ["a"] = [1], ["b"] = [] },
        new KeyValuePair<string, int>("k", 1),
        (1, "one"),
        (1, "one", 1.5),
        new List<object?> { 1, "two", null, new List<int> { 3 } },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_round_trips_as_an_object(object value)
    {
        var copy = WireTestKit.RoundTrip<object?>(value);

        Assert.IsType(value.GetType(), copy);
        if (value is System.Collections.IEnumerable and not string)
        {
            Assert.Equivalent(value, copy, strict: true);
        }
        else
        {
            Assert.Equal(value, copy);
        }
    }

    [Fact]
    public void Statically_typed_values_round_trip()
    {
        Assert.Equal(ulong.MaxValue, WireTestKit.RoundTrip(ulong.MaxValue));
        Assert.Equal(-1.5, WireTestKit.RoundTrip(-1.5));
        Assert.Equal(float.NaN, WireTestKit.RoundTrip(float.NaN));
        Assert.Equal(decimal.MaxValue, WireTestKit.RoundTrip(decimal.MaxValue));
        Assert.Null(WireTestKit.RoundTrip<string?>(null));
        Assert.Null(WireTestKit.RoundTrip<int?>(null));
        Assert.Equal(5, WireTestKit.RoundTrip<int?>(5));
        Assert.Equal(Tier.Gold, WireTestKit.RoundTrip(Tier.Gold));
        Assert.Equal(DayOfWeek.Friday, WireTestKit.RoundTrip(DayOfWeek.Friday));
        Assert.Equal([1L, 2L], WireTestKit.RoundTrip(ImmutableArray.Create(1L, 2L)).ToArray());
        Assert.True(WireTestKit.RoundTrip(default(ImmutableArray<int>)).IsDefault);
        Assert.Equal(default, WireTestKit.RoundTrip(default(GrainId)));
        Assert.Equal([9, 8], WireTestKit.RoundTrip<ReadOnlyMemory<byte>>(new byte[] { 9, 8 }).ToArray());
        Assert.Empty(WireTestKit.RoundTrip(Array.Empty<string>()));
        Assert.IsType<object>(WireTestKit.RoundTrip(new object()));
    }

    [Fact]
    public void Grain_ids_decode_exactly_however_many_pass_through_the_decode_cache()
    {
        // More distinct ids than the cache has slots, each decoded twice (a miss, then a hit or an
        // eviction): every decode must give back exactly the id that was written, never a neighbour's.
        var ids = Enumerable.Range(0, 10_000)
            .Select(i => GrainId.Create(new GrainType(i % 2 == 0 ? "counter" : "counterx"), i % 3 == 0 ? $"k{i}" : $"{i}"))
            .ToArray();
        for (var round = 0; round < 2; round++)
        {
            foreach (var id in ids)
            {
                var copy = WireTestKit.RoundTrip(id);
                Assert.Equal(id, copy);
                Assert.Equal(id.Type.Value, copy.Type.Value);
                Assert.Equal(id.Key, copy.Key);
            }
        }

        Assert.Equal(GrainId.Create(new GrainType("t"), ""), WireTestKit.RoundTrip(GrainId.Create(new GrainType("t"), "")));
    }

    [Fact]
    public void A_local_time_travels_as_its_instant()
    {
        var local = new DateTime(2024, 6, 1, 8, 0, 0, DateTimeKind.Local);

        var copy = WireTestKit.RoundTrip(local);

        Assert.Equal(DateTimeKind.Local, copy.Kind);
        Assert.Equal(local.ToUniversalTime(), copy.ToUniversalTime());
    }

    [Fact]
    public void An_enum_value_out_of_the_underlying_range_is_rejected()
    {
        var bytes = Serializer.SerializeToArray(300);

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<Tier>(bytes));

        Assert.Contains("out of the range of Tier", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grain_reference_needs_a_grain_factory_to_be_read()
    {
        var bytes = WireTestKit.Write((ref WireWriter w) =>
        {
            w.WriteStartObject(0);
            GrainIdCodec.Instance.WriteField(ref w, 0, GrainId.Create(new GrainType("calculator"), "x"));
            w.WriteEndObject();
        });

        var error = Assert.Throws<SerializationException>(() => Serializer.Deserialize<Grains.ICalculatorGrain>(bytes));

        Assert.Contains("no grain factory (SerializerOptions.GrainFactory)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grain_reference_round_trips_through_the_readers_grain_factory()
    {
        var cluster = new TestCluster();
        var grain = cluster.GetGrain<Grains.ICalculatorGrain>("remote");
        var options = new SerializerOptions { GrainFactory = cluster };

        var copy = Serializer.Deserialize<Grains.ICalculatorGrain>(Serializer.SerializeToArray(grain), options);

        Assert.Equal(((Agents.Invocation.GrainReference)grain).GrainId, ((Agents.Invocation.GrainReference)copy).GrainId);
    }
}
