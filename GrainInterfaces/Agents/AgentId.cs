namespace Agents.Agents;

/// <summary>
/// An agent's identity: its type (e.g. <c>triage</c>) and its key within the type (e.g. a customer
/// id). Every agent is one grain of type <c>agent</c> whose key is <c>{type}/{key}</c>.
/// </summary>
public readonly record struct AgentId(string Type, string Key)
{
    /// <summary>The grain key of this agent.</summary>
    public string GrainKey => $"{Type}/{Key}";

    /// <summary>The agent named by a grain key written by <see cref="GrainKey"/>.</summary>
    public static AgentId FromGrainKey(string grainKey)
    {
        ArgumentNullException.ThrowIfNull(grainKey);
        var slash = grainKey.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == grainKey.Length - 1)
        {
            throw new FormatException($"'{grainKey}' is not an agent grain key: expected '<agent type>/<key>'.");
        }

        return new AgentId(grainKey[..slash], grainKey[(slash + 1)..]);
    }

    /// <summary>Checks a type name: letters, digits, '-' and '_'.</summary>
    public static bool IsValidTypeName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public override string ToString() => GrainKey;
}
