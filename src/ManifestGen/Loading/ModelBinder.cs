using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Loading;

/// <summary>
/// Binds a layered <see cref="YNode"/> tree onto the inventory records described by <see cref="ModelTypes"/>, recording every
/// node in the source map. Reports unknown keys (with the closest known key), wrong types, invalid
/// choices and missing required fields; never throws on bad input.
/// </summary>
internal sealed class ModelBinder(ICollection<Diagnostic> diagnostics)
{
    private readonly List<SourceEntry> _entries = [];

    public IReadOnlyList<SourceEntry> Entries => _entries;

    /// <summary>Binds a mapping to <typeparamref name="T"/>; null when anything required could not be bound.</summary>
    public T? Bind<T>(YMapping root) where T : class
    {
        var before = diagnostics.Count(d => d.Severity == Severity.Error);
        var result = BindRecord(root, ModelTypes.Record(typeof(T)), "", null);
        var after = diagnostics.Count(d => d.Severity == Severity.Error);
        return after == before ? result as T : null;
    }

    private object? Bind(YNode node, Type type, string path, SourceSpan? keySpan)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            type = underlying;

        if (node is YScalar { IsNull: true } nullScalar)
        {
            Record(path, nullScalar, keySpan);
            return null;
        }

        if (type == typeof(string))
            return Scalar(node, path, keySpan, "text", s => s.Value);
        if (type == typeof(int))
            return Scalar(node, path, keySpan, "a whole number", s =>
                s.IsPlain && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null);
        if (type == typeof(bool))
            return Scalar(node, path, keySpan, "true or false", s =>
                s.IsPlain ? s.Value switch { "true" or "True" or "TRUE" => true, "false" or "False" or "FALSE" => false, _ => null } : null);
        return ModelTypes.Of(type) switch
        {
            EnumType e => BindEnum(node, e, path, keySpan),
            ListType l => BindList(node, l, path, keySpan),
            MapType m => BindDictionary(node, m, path, keySpan),
            RecordType r => BindRecord(node, r, path, keySpan),
            _ => throw new InvalidOperationException($"no binding for {type}"),
        };
    }

    private object? Scalar(YNode node, string path, SourceSpan? keySpan, string expected, Func<YScalar, object?> convert)
    {
        if (node is not YScalar scalar)
        {
            Record(path, node, keySpan);
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, node.Span,
                $"'{Display(path)}' must be {expected}, not {Describe(node)}"));
            return null;
        }
        Record(path, scalar, keySpan);
        var value = convert(scalar);
        if (value is null)
        {
            var hint = scalar.IsPlain ? null : $"write it without quotes: {scalar.Value}";
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, scalar.Span,
                $"'{Display(path)}' must be {expected}, not {scalar.Raw}", hint));
        }
        return value;
    }

    private object? BindEnum(YNode node, EnumType type, string path, SourceSpan? keySpan)
    {
        var names = type.Names;
        if (node is not YScalar scalar)
            return Scalar(node, path, keySpan, "one of " + string.Join(", ", names), _ => null);
        Record(path, scalar, keySpan);
        var index = names.IndexOf(scalar.Value);
        if (index >= 0)
            return type.Values[index];
        diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.InvalidChoice, scalar.Span,
            $"'{Display(path)}' is '{LookAlikeText.Visible(scalar.Value)}'; allowed: {string.Join(", ", names)}",
            Suggestions.Explain(scalar.Value, names)));
        return null;
    }

    private object? BindList(YNode node, ListType type, string path, SourceSpan? keySpan)
    {
        Record(path, node, keySpan);
        if (node is not YSequence seq)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, node.Span,
                $"'{Display(path)}' must be a list, not {Describe(node)}",
                node is YScalar { IsPlain: true, Value: ['-', not ' ', ..] } dashed ? $"a list item needs a space after its dash: `- {dashed.Value[1..]}`"
                : node is YScalar scalar ? $"write it as a list: [{scalar.Raw}]" : null));
            return null;
        }
        var list = new List<object>(seq.Items.Length);
        for (var i = 0; i < seq.Items.Length; i++)
        {
            var item = Bind(seq.Items[i], type.Item, SourceMap.Item(path, i), null);
            if (item is not null)
                list.Add(item);
        }
        return type.Create(list);
    }

    private object? BindDictionary(YNode node, MapType type, string path, SourceSpan? keySpan)
    {
        Record(path, node, keySpan);
        if (node is not YMapping map)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, node.Span,
                $"'{Display(path)}' must be a mapping, not {Describe(node)}"));
            return null;
        }
        var entries = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var value = Bind(entry.Value, type.Value, SourceMap.Child(path, entry.Key.Value), entry.Key.Span);
            if (value is not null)
                entries[entry.Key.Value] = value;
        }
        return type.Create(entries);
    }

    private object? BindRecord(YNode node, RecordType type, string path, SourceSpan? keySpan)
    {
        if (node is YScalar shorthandScalar && type.Shorthand is { } shorthand)
        {
            var target = type.Create();
            var prop = type.Fields.Values.Single(p => p.Name == shorthand.PropertyName);
            prop.SetValue(target, Bind(shorthandScalar, prop.PropertyType, path, keySpan));
            return target;
        }
        Record(path, node, keySpan);
        if (node is not YMapping map)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, node.Span,
                $"'{Display(path)}' must be a mapping of fields, not {Describe(node)}"));
            return null;
        }

        var properties = type.Fields;
        var instance = type.Create();
        var ok = true;
        foreach (var entry in map.Entries)
        {
            if (!properties.TryGetValue(entry.Key.Value, out var property))
            {
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.UnknownKey, entry.Key.Span,
                    $"unknown key '{LookAlikeText.Visible(entry.Key.Value)}' in '{Display(path)}'",
                    Suggestions.Explain(entry.Key.Value, [.. properties.Keys])
                        ?? $"known keys: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}"));
                continue;
            }
            var value = Bind(entry.Value, property.PropertyType, SourceMap.Child(path, entry.Key.Value), entry.Key.Span);
            if (value is null)
            {
                ok &= !IsRequired(property);
                continue;
            }
            property.SetValue(instance, value);
        }

        foreach (var (key, property) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!IsRequired(property))
                continue;
            var entry = map.Find(key);
            if (entry is null || entry.Value is YScalar { IsNull: true })
            {
                ok = false;
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingRequired,
                    entry?.Key.Span ?? map.Span,
                    $"'{Display(SourceMap.Child(path, key))}' is required"));
            }
        }

        if (type.ExactlyOne)
        {
            var set = properties.Where(p => p.Value.GetValue(instance) is not null).Select(p => p.Key).ToList();
            if (set.Count != 1)
            {
                ok = false;
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.ExactlyOne, map.Span,
                    $"'{Display(path)}' must set exactly one of {string.Join(", ", properties.Keys)}" +
                    (set.Count == 0 ? "; none is set" : $"; {string.Join(" and ", set)} are set")));
            }
        }
        return ok ? instance : null;
    }

    /// <summary>The YAML key → property map of a record type (shared with documentation and schema tools).</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Fields(Type type) => ModelTypes.Record(type).Fields;

    public static bool IsRequired(PropertyInfo property) => ModelTypes.IsRequired(property);

    private void Record(string path, YNode node, SourceSpan? keySpan)
    {
        if (path.Length == 0)
            return;
        var (kind, scalar) = node switch
        {
            YScalar s => (NodeKind.Scalar, new ScalarInfo(s.Raw, s.Value, s.Style, s.Tag)),
            YSequence => (NodeKind.Sequence, (ScalarInfo?)null),
            _ => (NodeKind.Mapping, null),
        };
        _entries.Add(new SourceEntry(path, kind, node.Span, keySpan, scalar));
    }

    private static string Display(string path) => path.Length == 0 ? "(top level)" : path;

    private static string Describe(YNode node) => node switch
    {
        YScalar s => $"'{s.Raw}'",
        YSequence => "a list",
        _ => "a mapping",
    };
}
