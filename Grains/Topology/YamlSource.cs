using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Agents.Topology;

/*
 * Reading agents.yaml into YamlDotNet's representation model, with two things the model does not do:
 *   - Duplicate keys. YamlMappingNode stops at the first duplicate with only its second position, so
 *     a first pass over the parser's events finds every duplicate key and reports both positions.
 *     The later occurrence (key and value) is left out of the events the model is built from, so
 *     the rest of the file is still checked.
 *   - Aliases. An alias must name an anchor defined earlier, and a collection's anchor counts only
 *     once the collection is complete: a node can never contain itself, so converting the tree to
 *     JSON always terminates.
 * Syntax errors stop the reading (the parser cannot resynchronise); they are reported with the
 * parser's mark. Only one document is read: a second one ('---') is reported and ignored.
 */

/// <summary>Parses the text of a topology file into one YAML node tree; see the notes at the top of this file.</summary>
internal static class YamlSource
{
    /// <summary>
    /// The root node of the file's document, or null when the file has no document (it is empty or
    /// only comments). Returns false when the file cannot be read into a tree; errors say why.
    /// </summary>
    public static bool TryRead(string text, ErrorList errors, out YamlNode? root)
    {
        root = null;
        var scan = new EventScan(errors);
        if (!scan.Run(text))
        {
            return false;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new Replay(scan.Events));
        }
        catch (YamlException ex)
        {
            errors.Add(ex.Start, ErrorList.Document, $"YAML error: {ex.Message}");
            return false;
        }

        root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        return true;
    }

    /// <summary>The first pass: collects the parser's events, leaving out duplicate keys and reporting problems.</summary>
    private sealed class EventScan(ErrorList errors)
    {
        private readonly Stack<Frame> _frames = new();
        private readonly HashSet<string> _anchors = new(StringComparer.Ordinal);
        private ParsingEvent? _last;
        private int _documents;
        private bool _failed;

        // Leaving out the value of a duplicate key: whether one is pending, and how deep inside it we are.
        private bool _skipValue;
        private int _skipDepth;

        public List<ParsingEvent> Events { get; } = [];

        /// <summary>Scans all of <paramref name="text"/>; false when the events cannot make a tree.</summary>
        public bool Run(string text)
        {
            var parser = new Parser(new StringReader(text));
            try
            {
                while (parser.MoveNext())
                {
                    var current = parser.Current!;
                    if (current is DocumentStart && ++_documents > 1)
                    {
                        errors.Add(current.Start, ErrorList.Document, "the file holds more than one YAML document ('---'); put everything in the first one");
                        Events.Add(new StreamEnd(current.Start, current.Start));
                        break;
                    }

                    Accept(current);
                    _last = current;
                }
            }
            catch (YamlException ex)
            {
                // Inside [ ] and { } YAML ends plain text at ',', '[', ']', '{' and '}', which JSON paths contain.
                var hint = ex.Message.Contains("flow", StringComparison.OrdinalIgnoreCase)
                    ? " (inside [ ] or { }, quote text holding ',', '[', ']', '{' or '}', e.g. { json: \"$.items[0]\" })"
                    : "";
                errors.Add(ex.Start, ErrorList.Document, $"YAML syntax error: {ex.Message}{hint}");
                return false;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner fails this way (rather than with a YamlException) on some
                // unterminated flow collections, e.g. "a: [1, 2" followed by more lines.
                ReportUnreadable();
                return false;
            }

            return !_failed;
        }

        private void Accept(ParsingEvent current)
        {
            if (_skipValue)
            {
                Skip(current);
                return;
            }

            switch (current)
            {
                case Scalar scalar:
                    if (_frames.TryPeek(out var frame) && frame.IsMapping && frame.ExpectingKey)
                    {
                        if (IsDuplicate(frame, scalar))
                        {
                            return; // leave the key and (via Skip) its value out
                        }

                        frame.Key = scalar.Value;
                    }

                    DefineAnchor(scalar.Anchor);
                    Events.Add(scalar);
                    Completed();
                    break;

                case AnchorAlias alias:
                    if (!_anchors.Contains(alias.Value.Value))
                    {
                        errors.Add(alias.Start, ChildPath(), $"alias '*{alias.Value.Value}' names no anchor defined before it (define it with '&{alias.Value.Value}' on an earlier value)");
                        _failed = true;
                    }

                    Events.Add(alias);
                    Completed();
                    break;

                case MappingStart start:
                    Events.Add(start);
                    _frames.Push(new Frame(ChildPath(), isMapping: true, start.Style == MappingStyle.Flow, start.Start, start.Anchor));
                    break;

                case SequenceStart start:
                    Events.Add(start);
                    _frames.Push(new Frame(ChildPath(), isMapping: false, start.Style == SequenceStyle.Flow, start.Start, start.Anchor));
                    break;

                case MappingEnd or SequenceEnd:
                    Events.Add(current);
                    DefineAnchor(_frames.Pop().Anchor);
                    Completed();
                    break;

                default: // stream and document boundaries
                    Events.Add(current);
                    break;
            }
        }

        private bool IsDuplicate(Frame frame, Scalar key)
        {
            if (frame.Keys.TryGetValue(key.Value, out var first))
            {
                errors.Add(
                    key.Start,
                    YamlNodes.Child(frame.Path, key.Value),
                    $"'{key.Value}' appears twice in the same mapping, at line {first.Line}, column {first.Column} and at line {key.Start.Line}, column {key.Start.Column}; keep only one");
                _skipValue = true;
                return true;
            }

            frame.Keys.Add(key.Value, key.Start);
            return false;
        }

        private void Skip(ParsingEvent current)
        {
            _skipDepth += current.NestingIncrease;
            if (_skipDepth == 0)
            {
                _skipValue = false;
            }
        }

        private void DefineAnchor(AnchorName anchor)
        {
            if (!anchor.IsEmpty)
            {
                _anchors.Add(anchor.Value);
            }
        }

        /// <summary>A node inside the innermost collection is complete: a mapping moves between key and value, a list to its next item.</summary>
        private void Completed()
        {
            if (!_frames.TryPeek(out var frame))
            {
                return;
            }

            if (frame.IsMapping)
            {
                frame.ExpectingKey = !frame.ExpectingKey;
            }
            else
            {
                frame.Index++;
            }
        }

        /// <summary>The field path of the next node in the innermost collection.</summary>
        private string ChildPath()
        {
            if (!_frames.TryPeek(out var frame))
            {
                return "";
            }

            return frame.IsMapping
                ? (frame.ExpectingKey ? frame.Path : YamlNodes.Child(frame.Path, frame.Key ?? "?"))
                : YamlNodes.Item(frame.Path, frame.Index);
        }

        private void ReportUnreadable()
        {
            var open = _frames.FirstOrDefault(f => f.IsFlow);
            if (open is not null)
            {
                var bracket = open.IsMapping ? "{" : "[";
                errors.Add(open.Start, ErrorList.Document, $"YAML syntax error: the '{bracket}' here is never closed");
            }
            else
            {
                errors.Add(_last?.End ?? new Mark(0, 1, 1), ErrorList.Document, "YAML syntax error: the YAML parser cannot read past this point");
            }
        }
    }

    /// <summary>A mapping or list being scanned.</summary>
    private sealed class Frame(string path, bool isMapping, bool isFlow, Mark start, AnchorName anchor)
    {
        public string Path { get; } = path;

        public bool IsMapping { get; } = isMapping;

        public bool IsFlow { get; } = isFlow;

        public Mark Start { get; } = start;

        public AnchorName Anchor { get; } = anchor;

        public bool ExpectingKey { get; set; } = true;

        public string? Key { get; set; }

        public int Index { get; set; }

        public Dictionary<string, Mark> Keys { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Hands the kept events to <see cref="YamlStream.Load(IParser)"/>.</summary>
    private sealed class Replay(List<ParsingEvent> events) : IParser
    {
        private int _next;

        public ParsingEvent? Current { get; private set; }

        public bool MoveNext()
        {
            Current = _next < events.Count ? events[_next++] : null;
            return Current is not null;
        }
    }
}
