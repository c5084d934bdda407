using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/// <summary>The errors found while loading one file; the loader keeps going after each so it can report them all.</summary>
internal sealed class ErrorList(string file)
{
    /// <summary>The field of errors that concern the file as a whole (syntax, emptiness).</summary>
    public const string Document = "(document)";

    private readonly List<TopologyError> _errors = [];

    public int Count => _errors.Count;

    public SourceLocation At(Mark mark) => new(file, ToInt(mark.Line), ToInt(mark.Column));

    public void Add(Mark at, string field, string message) => _errors.Add(new TopologyError(At(at), field, message));

    public void Add(YamlNode at, string field, string message) => Add(at.Start, field, message);

    public void Add(SourceLocation at, string field, string message) => _errors.Add(new TopologyError(at, field, message));

    /// <summary>The errors ordered by line and column (errors at the same place keep the order they were found in).</summary>
    public IReadOnlyList<TopologyError> InFileOrder() =>
        [.. _errors.OrderBy(e => e.Location.Line).ThenBy(e => e.Location.Column)];

    private static int ToInt(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}
