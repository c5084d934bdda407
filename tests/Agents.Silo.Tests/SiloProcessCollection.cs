namespace Agents.Silo.Tests;

/// <summary>Tests that run real silo processes run one class at a time: on two cores, parallel clusters would starve each other's failure detectors.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SiloProcessCollection
{
    public const string Name = "silo processes";
}
