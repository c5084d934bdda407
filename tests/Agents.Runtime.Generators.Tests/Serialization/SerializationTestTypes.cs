using System.Collections.Immutable;

namespace Agents.Runtime.Generators.Tests.Serialization;

[GenerateSerializer]
[Alias("test.tier")]
public enum Tier : byte
{
    Free = 1,
    Gold = 200,
}

/// <summary>Nested types, every collection, nullable members, private and readonly members.</summary>
[GenerateSerializer]
public sealed class Customer
{
    [Id(0)]
    public string Name { get; set; } = string.Empty;

    [Id(1)]
    public Address? Home { get; set; }

    [Id(2)]
    public List<Address> Shipping { get; set; } = [];

    [Id(3)]
    public Dictionary<string, List<int>> Scores { get; init; } = [];

    [Id(4)]
    public int? Age { get; set; }

    [Id(5)]
    public Guid Id { get; set; }

    [Id(6)]
    public Tier Tier { get; set; }

    [Id(7)]
    public int[]? Numbers { get; set; }

    [Id(8)]
    public HashSet<string> Tags { get; set; } = [];

    [Id(9)]
    public ImmutableArray<long> History { get; set; }

    [Id(10)]
    public DateTimeOffset Since { get; set; }

    [Id(11)]
    public Point3? Location { get; set; }

    /// <summary>Private: reached through an UnsafeAccessor.</summary>
    [Id(12)]
    private decimal _balance;

    [Id(13)]
    public readonly List<string> Notes = [];

    public decimal Balance => _balance;

    public void Credit(decimal amount) => _balance += amount;
}

/// <summary>A struct with a nullable member.</summary>
[GenerateSerializer]
public struct Address
{
    [Id(0)]
    public string City;

    [Id(1)]
    public int? Zip;
}

/// <summary>A positional record: ids on the properties (<c>property:</c>) and on a parameter.</summary>
[GenerateSerializer]
public sealed record Point3([property: Id(0)] int X, [property: Id(1)] int Y, [Id(2)] int Z);

/// <summary>A struct with a private and a readonly field: written through <c>ref</c> accessors.</summary>
[GenerateSerializer]
public struct Reading(int raw, string unit)
{
    [Id(0)]
    private int _raw = raw;

    [Id(1)]
    public readonly string Unit = unit;

    public readonly int Raw => _raw;
}

/// <summary>A positional record struct.</summary>
[GenerateSerializer]
public readonly record struct Money(decimal Amount, string Currency);

/// <summary>Unsealed, a private parameterless constructor, a required init-only member and a private field.</summary>
[GenerateSerializer]
public class Account
{
    [Id(1)]
    private decimal _limit;

    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public Account(string owner, decimal limit)
    {
        Owner = owner;
        _limit = limit;
    }

    private Account()
    {
    }

    [Id(0)]
    public required string Owner { get; init; }

    public decimal Limit => _limit;
}

/// <summary>No parameterless constructor, a private setter, and members declared by its base.</summary>
[GenerateSerializer]
public sealed class SavingsAccount : Account
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public SavingsAccount(string owner, decimal limit, double rate)
        : base(owner, limit) => Rate = rate;

    [Id(2)]
    public double Rate { get; private set; }
}

/// <summary>What the old peer knows.</summary>
[GenerateSerializer]
public sealed class PersonV1
{
    [Id(0)]
    public string Name { get; set; } = string.Empty;

    [Id(1)]
    public int Age { get; set; }
}

/// <summary>The new peer dropped Age (1) and added Email (2) and Tags (3).</summary>
[GenerateSerializer]
public sealed class PersonV2
{
    [Id(0)]
    public string Name { get; set; } = string.Empty;

    [Id(2)]
    public string? Email { get; set; }

    [Id(3)]
    public List<string> Tags { get; set; } = ["default"];
}

/// <summary>A polymorphic member.</summary>
[GenerateSerializer]
public sealed class Envelope
{
    [Id(0)]
    public object? Payload { get; set; }

    [Id(1)]
    public IReadOnlyList<int>? Numbers { get; set; }
}

/// <summary>A record without [GenerateSerializer], sent by a grain method: it gets an implied codec.</summary>
public sealed record Receipt(string Sku, decimal Amount, Point3? Where);

/// <summary>A [GenerateSerializer] exception with a member of its own.</summary>
[GenerateSerializer]
[Alias("test.quota-exceeded")]
public sealed class QuotaExceededException : Exception
{
    public QuotaExceededException()
    {
    }

    public QuotaExceededException(string message)
        : base(message)
    {
    }

    public QuotaExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    [Id(0)]
    public int Limit { get; set; }
}

/// <summary>An exception type no manifest registers: it crosses the wire as a RemoteException.</summary>
public sealed class UnregisteredException : Exception
{
    public UnregisteredException()
    {
    }

    public UnregisteredException(string message)
        : base(message)
    {
    }

    public UnregisteredException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Sends the types above so the generated requests carry them.</summary>
public interface ISerializationProbeGrain : IGrainWithStringKey
{
    Task<Receipt> Buy(Customer customer, Receipt draft, CancellationToken cancellationToken);

    Task<object?> Echo(object? value, Tier tier);

    Task Fire(string message);
}

/// <summary>Lets tests load this assembly's manifest (codecs and aliases) once per process.</summary>
internal static class TestManifest
{
    private static readonly Lazy<TestManifestBuilder> Loaded = new(TestManifestBuilder.LoadTestAssemblyManifest);

    public static void EnsureLoaded() => _ = Loaded.Value;
}
