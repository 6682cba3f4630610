using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ManifestGen.Diagnostics;
using Scriban;
using Scriban.Parsing;
using SourceSpan = ManifestGen.Diagnostics.SourceSpan;
using Scriban.Runtime;
using Scriban.Syntax;

namespace ManifestGen.Rendering;

/// <summary>
/// Renders Scriban templates strictly: an unknown variable or member is an error, newlines are "\n", and
/// every error is reported at <c>templates/x.sbn(line,col)</c>. Templates may include others from the same
/// folder. A template is read from <paramref name="templatesDirectory"/> when it is there, else from
/// <paramref name="builtInDirectory"/> (the templates packed with the tool), so a repository overrides
/// exactly the files it has. Functions available to templates: <c>q</c> (quote a string; JSON quoting is valid YAML) and
/// <c>indent n</c> (indent every non-empty line).
/// </summary>
public sealed class TemplateRenderer(string templatesDirectory, string displayPrefix = "templates", string? builtInDirectory = null)
{
    // Concurrent: the generator renders objects in parallel. A Scriban Template is safe to render from
    // several threads as long as each render has its own TemplateContext.
    private readonly ConcurrentDictionary<string, Template> _parsed = new(StringComparer.Ordinal);
    // Included templates, parsed once per renderer: every render gets a fresh TemplateContext (no state
    // leaks between objects), and Scriban would otherwise re-read and re-parse each include per object.
    private readonly ConcurrentDictionary<string, Template> _includes = new(StringComparer.Ordinal);

    private static readonly JsonWriterOptions QuoteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Printable ASCII except the two characters JSON escapes (" and \\); the relaxed encoder leaves
    // every one of them as it is (a test checks the shortcut against the writer for every ASCII character).
    private static readonly SearchValues<char> PlainJsonCharacters =
        SearchValues.Create(string.Concat(Enumerable.Range(0x20, 0x7f - 0x20).Select(c => (char)c).Where(c => c is not '"' and not '\\')));

    public string Display(string name) => displayPrefix + "/" + name;

    // Template contexts are reused: building one (builtins cloned, q and indent registered)
    // cost more than rendering a small object. A context is used by one render at a time; each render
    // pushes its own globals (model and the template's own variables) and pops them, so nothing leaks
    // from one object to the next. A context that saw an error is dropped, not returned.
    private readonly ConcurrentBag<TemplateContext> _contexts = [];

    /// <summary>Renders <paramref name="name"/> with <c>model</c> bound to <paramref name="model"/>; null on error.</summary>
    public string? Render(string name, object model, ICollection<Diagnostic> diagnostics)
    {
        var template = Parse(name, diagnostics);
        if (template is null)
            return null;
        if (!_contexts.TryTake(out var context))
            context = NewContext();
        var globals = new ScriptObject { { "model", model } };
        globals.SetReadOnly("model", true);
        context.PushGlobal(globals);
        try
        {
            var text = template.Render(context).ReplaceLineEndings("\n");
            foreach (var (path, included) in context.CachedTemplates)
                _includes.TryAdd(path, included);
            context.PopGlobal();
            _contexts.Add(context);
            return text;
        }
        catch (ScriptRuntimeException ex)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.TemplateError, Span(ex.Span, name), ex.OriginalMessage));
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.TemplateError, SourceSpan.WholeFile(Display(name)), ex.Message));
            return null;
        }
    }

    private TemplateContext NewContext()
    {
        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            EnableRelaxedTargetAccess = false,
            EnableRelaxedFunctionAccess = false,
            EnableRelaxedIndexerAccess = false,
            NewLine = "\n",
            // No silent truncation: Scriban cuts strings and output at 1 MiB by default and appends "...",
            // which would turn a large object into a different one. Size limits are checked on the objects.
            LimitToString = 0,
            LoopLimit = 10_000,
            RecursiveLimit = 20,
            TemplateLoader = new Loader(this),
        };
        context.PushCulture(CultureInfo.InvariantCulture);
        foreach (var (path, included) in _includes)
            context.CachedTemplates[path] = included;
        var functions = new ScriptObject();
        // Called with the argument list directly: no reflection-emitted invokers (trimming-safe), and no
        // DynamicInvoke per call (the typed CreateFunc wrappers cost more than quoting itself).
        functions.Add("q", new TemplateFunction(typeof(object), static (_, _, arguments) => Quote(arguments[0])));
        functions.Add("indent", new TemplateFunction(typeof(string), static (context, node, arguments) =>
            Indent(context.ObjectToString(arguments[0]) ?? "", context.ToInt(node?.Span ?? default, arguments[1])), typeof(int)));
        functions.SetReadOnly("q", true);
        functions.SetReadOnly("indent", true);
        context.PushGlobal(functions);
        return context;
    }

    private Template? Parse(string name, ICollection<Diagnostic> diagnostics)
    {
        if (_parsed.TryGetValue(name, out var cached))
            return cached;
        var path = Resolve(name);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile(Display(name)),
                $"cannot read template {Display(name)}: {ex.Message}"));
            return null;
        }
        var template = Template.Parse(text.ReplaceLineEndings("\n"), Display(name));
        if (template.HasErrors)
        {
            foreach (var message in template.Messages.Where(m => m.Type == ParserMessageType.Error))
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.TemplateError, Span(message.Span, name), message.Message));
            return null;
        }
        return _parsed.GetOrAdd(name, template);
    }

    private Diagnostics.SourceSpan Span(Scriban.Parsing.SourceSpan span, string fallback) =>
        new(string.IsNullOrEmpty(span.FileName) ? Display(fallback) : span.FileName, span.Start.Line + 1, span.Start.Column + 1);

    public static string Quote(object? value) => value switch
    {
        null => "null",
        string s => JsonString(s),
        bool b => b ? "true" : "false",
        IFormattable f => JsonString(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"q cannot quote a {value.GetType().Name}"),
    };

    /// <summary>A JSON string literal, escaped as the serializer escapes strings with the relaxed encoder.</summary>
    private static string JsonString(string value)
    {
        // Most values (names, paths, schedules) need no escape at all: quote them without a writer.
        if (!value.AsSpan().ContainsAnyExcept(PlainJsonCharacters))
            return string.Concat("\"", value, "\"");
        var buffer = new ArrayBufferWriter<byte>(value.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, QuoteOptions))
            writer.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Indent(string text, int spaces)
    {
        var result = new StringBuilder(text.Length + spaces * 32);
        for (var start = 0; ;)
        {
            var end = text.IndexOf('\n', start);
            var line = text.AsSpan(start, (end < 0 ? text.Length : end) - start);
            if (!line.IsEmpty)
                result.Append(' ', spaces).Append(line);
            if (end < 0)
                return result.ToString();
            result.Append('\n');
            start = end + 1;
        }
    }

    private sealed class Loader(TemplateRenderer owner) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templateName) =>
            owner.Display(templateName);

        public string Load(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templatePath)
        {
            var name = templatePath[(owner.Display("").Length)..];
            if (name.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(name))
                throw new ScriptRuntimeException(callerSpan, $"include '{name}' must name a file in the templates folder");
            var full = owner.Resolve(name);
            if (!File.Exists(full))
                throw new ScriptRuntimeException(callerSpan, $"included template '{owner.Display(name)}' does not exist");
            return File.ReadAllText(full).ReplaceLineEndings("\n");
        }

        public ValueTask<string?> LoadAsync(TemplateContext context, Scriban.Parsing.SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }

    /// <summary>The repository's own file when it exists, else the built-in one (which may not exist either).</summary>
    private string Resolve(string name)
    {
        var own = Path.Combine(templatesDirectory, name);
        if (builtInDirectory is null || File.Exists(own))
            return own;
        var builtIn = Path.Combine(builtInDirectory, name);
        return File.Exists(builtIn) ? builtIn : own;
    }
}

/// <summary>A template function with fixed parameters, called with its argument list (no reflection, no DynamicInvoke).</summary>
internal sealed class TemplateFunction(Type firstParameter, Func<TemplateContext, ScriptNode?, ScriptArray, string> body, params Type[] more) : IScriptCustomFunction
{
    private readonly Type[] _parameters = [firstParameter, .. more];

    public int RequiredParameterCount => _parameters.Length;
    public int ParameterCount => _parameters.Length;
    public ScriptVarParamKind VarParamKind => ScriptVarParamKind.None;
    public Type ReturnType => typeof(string);
    public ScriptParameterInfo GetParameterInfo(int index) => new(_parameters[index], "arg" + index.ToString(CultureInfo.InvariantCulture));

    public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        arguments.Count == _parameters.Length ? body(context, callerContext, arguments)
            : throw new ScriptRuntimeException(callerContext?.Span ?? default, $"expected {_parameters.Length} argument(s), got {arguments.Count}");

    public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
        ValueTask.FromResult(Invoke(context, callerContext, arguments, blockStatement));
}
