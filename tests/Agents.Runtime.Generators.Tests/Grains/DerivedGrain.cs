namespace Agents.Runtime.Generators.Tests.Grains;

/// <summary>A keyed grain interface that another grain interface extends.</summary>
public interface INamedGrain : IGrainWithGuidKey
{
    Task<string> GetName();

    Task<Guid> GetKey();
}

/// <summary>Inherits <see cref="INamedGrain"/>: its proxy must implement those methods too.</summary>
public interface IGreetingGrain : INamedGrain
{
    Task<string> Greet(string name);

    /// <summary>Same name as a base method: the two must get distinct request classes.</summary>
    new Task<string> GetName();
}

/// <summary>A POCO grain (no <see cref="Grain"/> base) that takes its context and a service.</summary>
public sealed class GreetingGrain(IGrainContext context, IGreeter greeter) : IGreetingGrain, IGrainBase
{
    public IGrainContext GrainContext { get; } = context;

    public Task<string> Greet(string name) => Task.FromResult(greeter.Greet(name));

    Task<string> INamedGrain.GetName() => Task.FromResult("named");

    Task<string> IGreetingGrain.GetName() => Task.FromResult("greeting");

    public Task<Guid> GetKey() => Task.FromResult(this.GetPrimaryKey());
}

public interface IGreeter
{
    string Greet(string name);
}

public sealed class Greeter : IGreeter
{
    public string Greet(string name) => $"Hello, {name}!";
}
