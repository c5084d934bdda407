namespace Agents.Runtime.Hosting;

/// <summary>A configuration value is wrong. The message starts with the configuration key.</summary>
public sealed class AgentsConfigurationException : AgentsException
{
    public AgentsConfigurationException()
    {
    }

    public AgentsConfigurationException(string message)
        : base(message)
    {
    }

    public AgentsConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public AgentsConfigurationException(string key, string problem)
        : base($"{key}: {problem}") => Key = key;

    /// <summary>The configuration key at fault, e.g. <c>Agents:Storage:Default:Provider</c>.</summary>
    public string? Key { get; }
}
