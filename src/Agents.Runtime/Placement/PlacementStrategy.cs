using System.Reflection;

namespace Agents.Runtime.Placement;

/// <summary>Which placement a grain class asked for with its attributes; activation-count by default.</summary>
public static class PlacementStrategy
{
    /// <summary>The director for <paramref name="grainClass"/>; a class with two placement attributes is an error naming both.</summary>
    public static IPlacementDirector For(Type grainClass)
    {
        ArgumentNullException.ThrowIfNull(grainClass);
        var chosen = new List<(string Name, Func<IPlacementDirector> Create)>();
        if (grainClass.GetCustomAttribute<RandomPlacementAttribute>() is not null)
        {
            chosen.Add(("[RandomPlacement]", () => new RandomPlacementDirector()));
        }

        if (grainClass.GetCustomAttribute<PreferLocalPlacementAttribute>() is not null)
        {
            chosen.Add(("[PreferLocalPlacement]", () => new PreferLocalPlacementDirector()));
        }

        if (grainClass.GetCustomAttribute<HashBasedPlacementAttribute>() is not null)
        {
            chosen.Add(("[HashBasedPlacement]", () => new HashBasedPlacementDirector()));
        }

        if (grainClass.GetCustomAttribute<ActivationCountBasedPlacementAttribute>() is not null)
        {
            chosen.Add(("[ActivationCountBasedPlacement]", () => new ActivationCountPlacementDirector()));
        }

        if (grainClass.GetCustomAttribute<SiloKeyedPlacementAttribute>() is not null)
        {
            chosen.Add(("[SiloKeyedPlacement]", () => new SiloKeyedPlacementDirector()));
        }

        if (grainClass.GetCustomAttribute<SiloRoleBasedPlacementAttribute>() is { } role)
        {
            chosen.Add(($"[SiloRoleBasedPlacement(\"{role.Role}\")]", () => new SiloRolePlacementDirector(role.Role)));
        }

        return chosen.Count switch
        {
            0 => new ActivationCountPlacementDirector(),
            1 => chosen[0].Create(),
            _ => throw new InvalidOperationException(
                $"Grain class {grainClass.FullName} has more than one placement attribute ({string.Join(", ", chosen.Select(c => c.Name))}); keep one."),
        };
    }
}
