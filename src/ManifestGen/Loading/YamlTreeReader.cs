using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ManifestGen.Loading;

/// <summary>
/// Reads one YAML file into <see cref="YNode"/>s: positions kept, anchors and aliases resolved, merge keys
/// (<c>&lt;&lt;</c>) applied (explicit keys win), duplicate keys reported. Never throws on bad input.
/// </summary>
public static class YamlTreeReader
{
    private const int MaxDepth = 64;

    public static YNode? Read(string text, string file, ICollection<Diagnostic> diagnostics)
    {
        var state = new State(text, file, diagnostics);
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                return null;
            parser.Consume<DocumentStart>();
            var root = state.ReadNode(parser, 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var extra))
            {
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, state.At(extra.Start),
                    "the file holds more than one YAML document; an inventory is one document", "remove the '---' separator"));
                return null;
            }
            return root;
        }
        catch (YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            // YamlDotNet prefixes messages with "(Line: …)"; the position is already in the location.
            var close = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line:", StringComparison.Ordinal) && close > 0)
                message = message[(close + 3)..];
            var refined = Validation.YamlTraps.Refine(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, state.At(ex.Start), message), text);
            diagnostics.Add(refined.Code == DiagnosticCatalogue.YamlSyntax.Code ? YamlSyntaxDiagnosis.Explain(text, refined.Location, message) : refined);
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some malformed input; find the cause from where parsing stopped.
            diagnostics.Add(YamlSyntaxDiagnosis.Explain(text, state.LastPosition, "invalid YAML after this position"));
            return null;
        }
        catch (DepthException ex)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, state.At(ex.Mark),
                $"nesting deeper than {MaxDepth} levels"));
            return null;
        }
    }

    private sealed class DepthException(Mark mark) : Exception
    {
        public Mark Mark { get; } = mark;
    }

    private sealed class State(string text, string file, ICollection<Diagnostic> diagnostics)
    {
        private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);

        public SourceSpan LastPosition { get; private set; } = new(file, 1, 1);

        public SourceSpan At(Mark mark) =>
            new(file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

        public YNode ReadNode(IParser parser, int depth)
        {
            if (depth > MaxDepth)
                throw new DepthException(parser.Current?.Start ?? Mark.Empty);
            var ev = parser.Current ?? throw new YamlException("unexpected end of file");
            LastPosition = At(ev.Start);
            switch (ev)
            {
                case AnchorAlias alias:
                    parser.MoveNext();
                    if (_anchors.TryGetValue(alias.Value.Value, out var target))
                        return target;
                    diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, At(alias.Start),
                        $"alias '*{alias.Value.Value}' refers to an anchor that is not defined before it"));
                    return new YScalar(At(alias.Start), "", "*" + alias.Value.Value, ScalarStyleKind.Plain, null);
                case Scalar scalar:
                {
                    parser.MoveNext();
                    var raw = Slice(scalar.Start, scalar.End);
                    var node = new YScalar(At(scalar.Start), scalar.Value, raw, Style(scalar.Style),
                        scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific ? null : scalar.Tag.Value);
                    Remember(scalar.Anchor, node);
                    return node;
                }
                case SequenceStart seq:
                {
                    parser.MoveNext();
                    var items = ImmutableArray.CreateBuilder<YNode>();
                    while (!parser.TryConsume<SequenceEnd>(out _))
                        items.Add(ReadNode(parser, depth + 1));
                    var node = new YSequence(At(seq.Start), items.ToImmutable());
                    Remember(seq.Anchor, node);
                    return node;
                }
                case MappingStart map:
                {
                    parser.MoveNext();
                    var node = ReadMapping(parser, At(map.Start), depth);
                    Remember(map.Anchor, node);
                    return node;
                }
                default:
                    throw new YamlException(ev.Start, ev.End, $"unexpected {ev.GetType().Name}");
            }
        }

        private YMapping ReadMapping(IParser parser, SourceSpan span, int depth)
        {
            var explicitEntries = new List<YEntry>();
            var merged = new List<YEntry>();
            var seen = new Dictionary<string, YScalar>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, depth + 1);
                var value = ReadNode(parser, depth + 1);
                if (keyNode is not YScalar key)
                {
                    diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, keyNode.Span,
                        "a mapping key must be a plain string, not a list or a mapping"));
                    continue;
                }
                if (key.IsPlain && key.Value == "<<")
                {
                    AddMerge(value, merged);
                    continue;
                }
                if (seen.TryGetValue(key.Value, out var first))
                {
                    diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.DuplicateKey, key.Span,
                        $"duplicate key '{key.Value}' (first defined at line {first.Span.Line}); YAML does not allow a key twice",
                        "remove one of them"));
                    continue;
                }
                seen.Add(key.Value, key);
                explicitEntries.Add(new YEntry(key, value));
            }
            // Merge keys: explicit keys win; among merged maps, the first listed wins (YAML merge spec).
            foreach (var entry in merged)
            {
                if (seen.ContainsKey(entry.Key.Value))
                    continue;
                seen.Add(entry.Key.Value, entry.Key);
                explicitEntries.Add(entry);
            }
            return new YMapping(span, [.. explicitEntries]);
        }

        private void AddMerge(YNode value, List<YEntry> merged)
        {
            switch (value)
            {
                case YMapping m:
                    merged.AddRange(m.Entries);
                    break;
                case YSequence s when s.Items.All(i => i is YMapping):
                    foreach (var m in s.Items.Cast<YMapping>())
                        merged.AddRange(m.Entries);
                    break;
                default:
                    diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.YamlSyntax, value.Span,
                        "a merge key '<<' needs a mapping (or a list of mappings), usually an alias such as *defaults"));
                    break;
            }
        }

        private void Remember(AnchorName anchor, YNode node)
        {
            if (!anchor.IsEmpty)
                _anchors[anchor.Value] = node;
        }

        private string Slice(Mark start, Mark end)
        {
            var from = (int)Math.Clamp(start.Index, 0, text.Length);
            var to = (int)Math.Clamp(end.Index, from, text.Length);
            return text[from..to];
        }

        private static ScalarStyleKind Style(ScalarStyle style) => style switch
        {
            ScalarStyle.SingleQuoted => ScalarStyleKind.SingleQuoted,
            ScalarStyle.DoubleQuoted => ScalarStyleKind.DoubleQuoted,
            ScalarStyle.Literal => ScalarStyleKind.Literal,
            ScalarStyle.Folded => ScalarStyleKind.Folded,
            _ => ScalarStyleKind.Plain,
        };
    }
}
