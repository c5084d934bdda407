namespace Agents.Runtime.Generators.Tests.Grains;

/// <summary>A sealed class with every kind of member a copier must reach.</summary>
[GenerateSerializer]
public sealed class Order
{
    [Id(0)]
    public string Customer { get; set; } = string.Empty;

    [Id(1)]
    public List<OrderLine> Lines { get; set; } = [];

    /// <summary>Init-only: set through the object initializer.</summary>
    [Id(2)]
    public Dictionary<string, string> Tags { get; init; } = [];

    /// <summary>Private: reached through an UnsafeAccessor.</summary>
    [Id(3)]
    private int _revision;

    /// <summary>Readonly: reached through an UnsafeAccessor.</summary>
    [Id(4)]
    public readonly List<string> Notes = [];

    /// <summary>Not an [Id] member: not copied.</summary>
    public string Transient { get; set; } = string.Empty;

    public int Revision => _revision;

    public void Bump() => _revision++;
}

[GenerateSerializer]
public sealed class OrderLine
{
    [Id(0)]
    public string Sku { get; set; } = string.Empty;

    [Id(1)]
    public int Quantity { get; set; }
}

/// <summary>A record: immutable, so shared rather than copied.</summary>
[GenerateSerializer]
[Alias("test.order-summary")]
public sealed record OrderSummary(string Customer, int LineCount);

/// <summary>A non-sealed base: its copier defers to the derived type's copier.</summary>
[GenerateSerializer]
public class Shape
{
    [Id(0)]
    public string Name { get; set; } = string.Empty;
}

[GenerateSerializer]
public sealed class Circle : Shape
{
    [Id(1)]
    public double Radius { get; set; }
}

/// <summary>A struct holding a mutable list: copied by assignment, then its list replaced.</summary>
[GenerateSerializer]
public struct Measurement
{
    [Id(0)]
    public double Value;

    [Id(1)]
    public List<double> History;
}

/// <summary>No parameterless constructor and get-only auto-properties: built uninitialized, set through backing fields.</summary>
[GenerateSerializer]
public sealed class Snapshot(string name)
{
    [Id(0)]
    public string Name { get; } = name;

    [Id(1)]
    public List<int> Values { get; } = [];
}
