namespace Agents.Topology;

/// <summary>
/// An <c>agents.yaml</c> that cannot be loaded. <see cref="Errors"/> holds every problem found, in file
/// order; the message has one line per error (<c>file:line:column: field: message</c>).
/// </summary>
public sealed class TopologyException : Exception
{
    public TopologyException(IReadOnlyList<TopologyError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, in file order; never empty.</summary>
    public IReadOnlyList<TopologyError> Errors { get; }

    private static string Format(IReadOnlyList<TopologyError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return string.Join(Environment.NewLine, errors);
    }
}

/// <summary>
/// One problem in a topology file: where it is, which field it concerns (a path such as
/// <c>agents.desk.settings.systemPrompt</c> or <c>routes[1].key</c>) and what is wrong.
/// </summary>
public sealed record TopologyError(SourceLocation Location, string Field, string Message)
{
    public override string ToString() => $"{Location}: {Field}: {Message}";
}

/// <summary>What a topology is checked against besides itself.</summary>
/// <param name="CodeAgentTypes">The names of the agent types implemented in code (the ones an agent without a role may name).</param>
public sealed record TopologyValidationContext(IReadOnlyCollection<string> CodeAgentTypes);
