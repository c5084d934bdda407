namespace Agents.Testing.Storage;

public enum SampleKind
{
    Unknown,
    Planner,
    Worker,
}

/// <summary>A state with the shapes real grain state has: nesting, collections, dates, ids, fields.</summary>
public sealed class SampleState
{
    public string Name { get; set; } = "unnamed";

    public int Counter { get; set; }

    public Guid Id { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public SampleKind Kind { get; set; }

    public decimal? Budget { get; set; }

    public SampleNested Nested { get; set; } = new();

    public List<SampleNested> History { get; set; } = [];

    public Dictionary<string, int> Tallies { get; set; } = [];

    // A public field: grain authors write these, and the serializer must keep them.
    public List<int> Numbers = [];

    public static SampleState Create(string name) => new()
    {
        Name = name,
        Counter = 7,
        Id = Guid.NewGuid(),
        CreatedAt = new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.FromHours(2)),
        Kind = SampleKind.Planner,
        Budget = 12.50m,
        Nested = new SampleNested { Label = "héllo <ünïcode> \"quoted\"", Tags = ["a", "b"] },
        History = [new SampleNested { Label = "one" }, new SampleNested { Label = "two", Tags = ["x"] }],
        Tallies = new Dictionary<string, int> { ["alpha"] = 1, ["beta"] = 2 },
        Numbers = [3, 1, 4, 1, 5],
    };

    public static void AssertEqual(SampleState expected, SampleState actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Counter, actual.Counter);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.CreatedAt.Offset, actual.CreatedAt.Offset);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Budget, actual.Budget);
        SampleNested.AssertEqual(expected.Nested, actual.Nested);
        Assert.Equal(expected.History.Count, actual.History.Count);
        for (var i = 0; i < expected.History.Count; i++)
        {
            SampleNested.AssertEqual(expected.History[i], actual.History[i]);
        }

        Assert.Equal(expected.Tallies, actual.Tallies);
        Assert.Equal(expected.Numbers, actual.Numbers);
    }
}

public sealed class SampleNested
{
    public string Label { get; set; } = string.Empty;

    public List<string> Tags { get; set; } = [];

    public static void AssertEqual(SampleNested expected, SampleNested actual)
    {
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Tags, actual.Tags);
    }
}
