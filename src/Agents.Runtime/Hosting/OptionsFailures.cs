using Microsoft.Extensions.Options;

namespace Agents.Runtime.Hosting;

/// <summary>
/// Collects an options validator's failures, each starting with its full configuration key
/// (<c>Agents:Section:Property: problem</c>) so a person knows exactly what to fix.
/// </summary>
internal sealed class OptionsFailures(string section)
{
    private readonly List<string> _failures = [];

    /// <summary>The full configuration key of <paramref name="property"/>.</summary>
    public string Key(string property) => $"{section}:{property}";

    public void Add(string property, string problem) => _failures.Add($"{Key(property)}: {problem}");

    public void Positive(TimeSpan value, string property)
    {
        if (value <= TimeSpan.Zero)
        {
            Add(property, $"must be a positive time span such as 00:00:30 (was {value}).");
        }
    }

    public void AtLeastOne(int value, string property)
    {
        if (value < 1)
        {
            Add(property, $"must be at least 1 (was {value}).");
        }
    }

    public ValidateOptionsResult Result => _failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_failures);
}
