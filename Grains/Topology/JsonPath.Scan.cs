using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Agents.Topology;

/*
 * How JsonPath.Read reads: JSON text checked and walked in one pass over its UTF-16 characters, as
 * the text sits in a signal's Data string — no transcoding to UTF-8, no token objects, nothing
 * allocated but the found scalar's text. Every signal routed by a JSON path goes through here on
 * its dispatcher's turn, so this is on the hot path of signal routing.
 *
 * Invariants
 *  - Accepts exactly the text System.Text.Json's Utf8JsonReader accepts with default options
 *    (RFC 8259: one value, no comments, no trailing commas, containers nested at most 64 deep) when
 *    given the text's UTF-8 form, and finds the same value at the path; a differential test holds
 *    it to that on generated and mutated documents.
 *  - The whole text is checked, wherever the path leads: malformed JSON is NotJson even when the
 *    value at the path comes before the fault.
 *  - Where an object repeats a member name, the first one is the one on the path.
 *  - Bounded: recursion is at most 64 containers deep (deeper text is refused before recursing).
 */
public sealed partial class JsonPath
{
    /// <summary>The most containers JSON text may nest, as System.Text.Json's default.</summary>
    private const int MaxDepth = 64;

    /// <summary>What ends a run of plain characters in a string: its closing quote, an escape, a control character.</summary>
    private static readonly SearchValues<char> StringSpecials = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    /// <summary>One pass over one text; see the invariants at the top of this file.</summary>
    private ref struct Scan(ReadOnlySpan<char> json, Step[] steps)
    {
        private readonly ReadOnlySpan<char> _json = json;
        private readonly Step[] _steps = steps;
        private int _pos;

        public bool Found;
        public JsonValueKind Kind;

        /// <summary>The found scalar's text when it had to be made (decoded); otherwise it is the slice at TextStart.</summary>
        public string? Text;
        public int TextStart;
        public int TextLength;
        public string? Error;

        /// <summary>Checks the whole text and finds the value at the path; false (with <see cref="Error"/>) when it is not JSON.</summary>
        public bool Run()
        {
            SkipWhitespace();
            if (_pos == _json.Length)
            {
                Error = "it is empty";
                return false;
            }

            if (!Value(depth: 0, step: 0, onPath: true))
            {
                return false;
            }

            SkipWhitespace();
            return _pos == _json.Length || Fail("after the JSON value");
        }

        /// <summary>Reads the value at _pos (not whitespace); it is the path's target when onPath and every step was taken.</summary>
        private bool Value(int depth, int step, bool onPath)
        {
            var target = onPath && step == _steps.Length;
            var start = _pos;
            switch (_json[_pos])
            {
                case '{':
                    Take(target, JsonValueKind.Object, null);
                    return Object(depth + 1, step, onPath && !target);
                case '[':
                    Take(target, JsonValueKind.Array, null);
                    return Array(depth + 1, step, onPath && !target);
                case '"':
                    if (!String(out var escaped))
                    {
                        return false;
                    }

                    if (target)
                    {
                        var inner = _json[(start + 1)..(_pos - 1)];
                        if (NeedsDecoding(inner, escaped))
                        {
                            Take(true, JsonValueKind.String, Unescape(inner));
                        }
                        else
                        {
                            Take(true, JsonValueKind.String, start + 1, inner.Length);
                        }
                    }

                    return true;
                case 't':
                    return Literal("true") && Take(target, JsonValueKind.True, "true");
                case 'f':
                    return Literal("false") && Take(target, JsonValueKind.False, "false");
                case 'n':
                    return Literal("null") && Take(target, JsonValueKind.Null, null);
                case '-' or (>= '0' and <= '9'):
                    return Number() && Take(target, JsonValueKind.Number, start, _pos - start);
                default:
                    return Fail("where a value should start");
            }
        }

        /// <summary>Records the path's value when <paramref name="target"/>; always true, so it ends a successful read.</summary>
        private bool Take(bool target, JsonValueKind kind, string? text)
        {
            if (target)
            {
                Found = true;
                Kind = kind;
                Text = text;
            }

            return true;
        }

        /// <summary>Records the path's value, a slice of the text, when <paramref name="target"/>; always true.</summary>
        private bool Take(bool target, JsonValueKind kind, int start, int length)
        {
            if (target)
            {
                Found = true;
                Kind = kind;
                (TextStart, TextLength) = (start, length);
            }

            return true;
        }

        private bool Object(int depth, int step, bool onPath)
        {
            if (!Open(depth, '}', out var empty) || empty)
            {
                return empty; // failed, or closed at once
            }

            var name = onPath ? _steps[step].Name : null;
            var matched = false;
            while (true)
            {
                if (Peek() != '"')
                {
                    return Fail("where a member name should start");
                }

                var nameStart = _pos + 1;
                if (!String(out var escaped))
                {
                    return false;
                }

                var isMatch = name is not null && !matched && NameEquals(_json[nameStart..(_pos - 1)], escaped, name);
                matched |= isMatch;
                SkipWhitespace();
                if (Peek() != ':')
                {
                    return Fail("where ':' should follow a member name");
                }

                _pos++;
                SkipWhitespace();
                if (_pos == _json.Length)
                {
                    return Fail("where a member's value should start");
                }

                if (!Value(depth, step + 1, isMatch))
                {
                    return false;
                }

                if (!Next('}', "a member", out var more))
                {
                    return false;
                }

                if (!more)
                {
                    return true;
                }
            }
        }

        private bool Array(int depth, int step, bool onPath)
        {
            if (!Open(depth, ']', out var empty) || empty)
            {
                return empty; // failed, or closed at once
            }

            var index = onPath && _steps[step].Name is null ? _steps[step].Index : -1;
            for (var i = 0; ; i++)
            {
                if (_pos == _json.Length)
                {
                    return Fail("where an element should start");
                }

                if (!Value(depth, step + 1, i == index))
                {
                    return false;
                }

                if (!Next(']', "an element", out var more))
                {
                    return false;
                }

                if (!more)
                {
                    return true;
                }
            }
        }

        /// <summary>Steps into a container at its opening bracket; <paramref name="empty"/> when it closes at once (then past the close).</summary>
        private bool Open(int depth, char close, out bool empty)
        {
            empty = false;
            if (depth > MaxDepth)
            {
                return Fail($"nests deeper than {MaxDepth} objects and arrays");
            }

            _pos++;
            SkipWhitespace();
            if (Peek() == close)
            {
                _pos++;
                empty = true;
            }

            return true;
        }

        /// <summary>After a member or element: past ',' and whitespace (<paramref name="more"/>), or past the closing bracket; false on anything else.</summary>
        private bool Next(char close, string what, out bool more)
        {
            SkipWhitespace();
            var next = Peek();
            more = next == ',';
            if (!more && next != close)
            {
                return Fail($"where ',' or '{close}' should follow {what}");
            }

            _pos++;
            if (more)
            {
                SkipWhitespace();
            }

            return true;
        }

        /// <summary>Reads a string (at its opening quote) up to and past its closing quote, checking its escapes.</summary>
        private bool String(out bool escaped)
        {
            escaped = false;
            _pos++; // '"'
            while (true)
            {
                var run = _json[_pos..].IndexOfAny(StringSpecials);
                if (run < 0)
                {
                    _pos = _json.Length;
                    return Fail("inside a string that never closes");
                }

                _pos += run;
                var c = _json[_pos];
                if (c == '"')
                {
                    _pos++;
                    return true;
                }

                if (c != '\\')
                {
                    return Fail("inside a string (control characters must be escaped)");
                }

                escaped = true;
                if (_pos + 1 == _json.Length)
                {
                    _pos++;
                    return Fail("inside a string that never closes");
                }

                switch (_json[_pos + 1])
                {
                    case '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't':
                        _pos += 2;
                        break;
                    case 'u':
                        _pos += 2;
                        for (var i = 0; i < 4; i++, _pos++)
                        {
                            if (_pos == _json.Length || !char.IsAsciiHexDigit(_json[_pos]))
                            {
                                return Fail("in a \\u escape (four hex digits must follow)");
                            }
                        }

                        break;
                    default:
                        _pos++;
                        return Fail("after '\\' in a string (not an escape)");
                }
            }
        }

        /// <summary>Reads a number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</summary>
        private bool Number()
        {
            if (Peek() == '-')
            {
                _pos++;
            }

            if (Peek() == '0')
            {
                _pos++;
            }
            else if (!Digits())
            {
                return Fail("in a number (a digit must follow)");
            }

            if (Peek() == '.')
            {
                _pos++;
                if (!Digits())
                {
                    return Fail("in a number (a digit must follow '.')");
                }
            }

            if (Peek() is 'e' or 'E')
            {
                _pos++;
                if (Peek() is '+' or '-')
                {
                    _pos++;
                }

                if (!Digits())
                {
                    return Fail("in a number's exponent (a digit must follow)");
                }
            }

            // A number ends at a delimiter: "01", "1x" and "1true" are not numbers followed by something.
            return _pos == _json.Length || IsDelimiter(_json[_pos]) || Fail("in a number");
        }

        private bool Digits()
        {
            var start = _pos;
            while (_pos < _json.Length && char.IsAsciiDigit(_json[_pos]))
            {
                _pos++;
            }

            return _pos > start;
        }

        private bool Literal(string literal)
        {
            if (!_json[_pos..].StartsWith(literal, StringComparison.Ordinal))
            {
                // Point at the first character that differs.
                var same = 0;
                while (_pos + same < _json.Length && same < literal.Length && _json[_pos + same] == literal[same])
                {
                    same++;
                }

                _pos += same;
                return Fail($"in what should be '{literal}'");
            }

            _pos += literal.Length;
            return _pos == _json.Length || IsDelimiter(_json[_pos]) || Fail($"after '{literal}'");
        }

        private static bool IsDelimiter(char c) => c is ',' or '}' or ']' or ' ' or '\t' or '\n' or '\r';

        private readonly char Peek() => _pos < _json.Length ? _json[_pos] : '\0';

        private void SkipWhitespace()
        {
            while (_pos < _json.Length && _json[_pos] is ' ' or '\t' or '\n' or '\r')
            {
                _pos++;
            }
        }

        /// <summary>Records what is wrong at _pos (1-based character position in the error); always false.</summary>
        private bool Fail(string where)
        {
            Error = _pos < _json.Length
                ? $"unexpected {Describe(_json[_pos])} at character {_pos + 1}, {where}"
                : $"the text ends at character {_json.Length}, {where}";
            return false;
        }

        private static string Describe(char c) => c < ' ' || char.IsSurrogate(c) || c is '\u007f' or '\ufeff'
            ? $"U+{(int)c:X4}"
            : $"'{c}'";

        private static bool NameEquals(ReadOnlySpan<char> raw, bool escaped, string name)
        {
            if (!NeedsDecoding(raw, escaped))
            {
                return raw.SequenceEqual(name);
            }

            // An escaped name is never longer than its text.
            return raw.Length <= 256
                ? Unescape(raw, stackalloc char[raw.Length]).SequenceEqual(name)
                : Unescape(raw).Equals(name, StringComparison.Ordinal);
        }

        /// <summary>Whether a string's text differs from what it stands for: it has escapes, or surrogates (which may be lone).</summary>
        private static bool NeedsDecoding(ReadOnlySpan<char> raw, bool escaped) => escaped || raw.ContainsAnyInRange('\ud800', '\udfff');

        private static string Unescape(ReadOnlySpan<char> raw) => raw.Length <= 256
            ? Unescape(raw, stackalloc char[raw.Length]).ToString()
            : Unescape(raw, new char[raw.Length]).ToString();

        /// <summary>
        /// The characters <paramref name="raw"/> (a checked string's inside) stands for, written to <paramref name="into"/>:
        /// escapes decoded, and a lone surrogate in the text itself read as U+FFFD, as it is when text is encoded as UTF-8.
        /// </summary>
        private static ReadOnlySpan<char> Unescape(ReadOnlySpan<char> raw, Span<char> into)
        {
            var length = 0;
            for (var i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]))
                {
                    into[length++] = c;
                    into[length++] = raw[++i];
                    continue;
                }

                if (c != '\\')
                {
                    into[length++] = char.IsSurrogate(c) ? '\ufffd' : c;
                    continue;
                }

                c = raw[++i];
                into[length++] = c switch
                {
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => (char)int.Parse(raw.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                    _ => c, // '"', '\\', '/'
                };
                if (c == 'u')
                {
                    i += 4;
                }
            }

            return into[..length];
        }
    }
}
