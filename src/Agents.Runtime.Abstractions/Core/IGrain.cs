namespace Agents;

/// <summary>Anything that has a grain identity: a grain, or a reference to one.</summary>
public interface IAddressable
{
}

/// <summary>Marker for grain interfaces. Derive from one of the keyed variants.</summary>
public interface IGrain : IAddressable
{
}

/// <summary>A grain interface whose grains are identified by a string.</summary>
public interface IGrainWithStringKey : IGrain
{
}

/// <summary>A grain interface whose grains are identified by a <see cref="Guid"/>.</summary>
public interface IGrainWithGuidKey : IGrain
{
}

/// <summary>A grain interface whose grains are identified by a 64-bit integer.</summary>
public interface IGrainWithIntegerKey : IGrain
{
}
