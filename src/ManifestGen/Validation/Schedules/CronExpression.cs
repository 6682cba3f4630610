using System.Collections.Immutable;
using System.Globalization;
using ManifestGen.Diagnostics;

namespace ManifestGen.Validation.Schedules;

/// <summary>A problem in a schedule: the rule it breaks, a message, and where in the expression (0-based).</summary>
public sealed record CronProblem(DiagnosticRule Rule, string Message, int Offset);

/// <summary>The outcome of parsing: a schedule, or the error; warnings either way.</summary>
public sealed record CronParseResult(CronSchedule? Schedule, CronProblem? Error, ImmutableArray<CronProblem> Warnings)
{
    public bool IsValid => Schedule is not null;
}

/// <summary>
/// The Kubernetes CronJob schedule dialect, exactly as robfig/cron v3 <c>ParseStandard</c> reads it
/// (minute, hour, day of month, month, day of week; names; <c>?</c>; descriptors including <c>@every</c>),
/// The <c>H</c> extension is expanded before parsing by the planner (Planning.Schedules), so that
/// validation computes the very times that are rendered. Quirks of robfig are kept on purpose (a <c>*</c> ignores what follows its hyphen, <c>N/step</c> runs
/// to the field's maximum, empty list items are skipped) so that what passes here passes the API server.
/// </summary>
public static class CronExpression
{
    internal sealed record Bounds(string Name, int Min, int Max, IReadOnlyDictionary<string, int>? Names);

    internal static readonly Bounds Minutes = new("minute", 0, 59, null);
    internal static readonly Bounds Hours = new("hour", 0, 23, null);
    internal static readonly Bounds DaysOfMonth = new("day-of-month", 1, 31, null);
    internal static readonly Bounds Months = new("month", 1, 12, new Dictionary<string, int>
    {
        ["jan"] = 1, ["feb"] = 2, ["mar"] = 3, ["apr"] = 4, ["may"] = 5, ["jun"] = 6,
        ["jul"] = 7, ["aug"] = 8, ["sep"] = 9, ["oct"] = 10, ["nov"] = 11, ["dec"] = 12,
    });
    internal static readonly Bounds DaysOfWeek = new("day-of-week", 0, 6, new Dictionary<string, int>
    {
        ["sun"] = 0, ["mon"] = 1, ["tue"] = 2, ["wed"] = 3, ["thu"] = 4, ["fri"] = 5, ["sat"] = 6,
    });
    private static readonly Bounds[] Fields = [Minutes, Hours, DaysOfMonth, Months, DaysOfWeek];

    /// <summary>Set when a field's first item starts with <c>*</c> or <c>?</c>: it changes how day of month and day of week combine.</summary>
    internal const ulong StarBit = 1UL << 63;

    private sealed class CronSyntaxException(CronProblem problem) : Exception(problem.Message)
    {
        public CronProblem Problem { get; } = problem;
    }

    /// <summary>Parses <paramref name="spec"/> (with any <c>H</c> already expanded by the planner's Schedules.Expand).</summary>
    public static CronParseResult Parse(string spec)
    {
        var warnings = ImmutableArray.CreateBuilder<CronProblem>();
        try
        {
            var schedule = ParseCore(spec, warnings);
            return new CronParseResult(schedule, null, warnings.ToImmutable());
        }
        catch (CronSyntaxException e)
        {
            return new CronParseResult(null, e.Problem, warnings.ToImmutable());
        }
    }

    private static CronSchedule ParseCore(string spec, ImmutableArray<CronProblem>.Builder warnings)
    {
        if (spec.Length == 0 || spec.Trim().Length == 0)
            throw Fail(DiagnosticCatalogue.CronInvalid, "the schedule is empty", 0);
        var trimmed = spec.TrimStart();
        if (trimmed.StartsWith("TZ=", StringComparison.Ordinal) || trimmed.StartsWith("CRON_TZ=", StringComparison.Ordinal))
            throw Fail(DiagnosticCatalogue.CronTimeZonePrefix, $"`{trimmed.Split(' ')[0]}` in the schedule: Kubernetes rejects a time zone inside spec.schedule", spec.Length - trimmed.Length);
        // robfig looks at the very first byte: a descriptor must not be preceded by spaces.
        if (spec[0] == '@')
            return ParseDescriptor(spec);

        var fields = SplitFields(spec);
        if (fields.Count != 5)
        {
            if (fields.Count is 6 or 7)
                throw Fail(DiagnosticCatalogue.CronSeconds, $"expected exactly 5 fields (minute hour day-of-month month day-of-week), found {fields.Count}: seconds and years are not part of the CronJob dialect", fields[0].Offset);
            throw Fail(DiagnosticCatalogue.CronInvalid, $"expected exactly 5 fields (minute hour day-of-month month day-of-week), found {fields.Count}", 0);
        }
        var bits = new ulong[5];
        for (int i = 0; i < 5; i++)
            bits[i] = ParseField(fields[i].Text, fields[i].Offset, Fields[i], warnings);
        return new CronSchedule(spec, bits[0], bits[1], bits[2], bits[3], bits[4], null);
    }

    /// <summary>Fields split the way Go's strings.Fields does (any Unicode white space), with their offsets.</summary>
    private static List<(string Text, int Offset)> SplitFields(string spec)
    {
        var fields = new List<(string, int)>();
        int start = -1;
        for (int i = 0; i <= spec.Length; i++)
        {
            bool space = i == spec.Length || char.IsWhiteSpace(spec[i]);
            if (!space && start < 0) start = i;
            else if (space && start >= 0) { fields.Add((spec[start..i], start)); start = -1; }
        }
        return fields;
    }

    private static ulong ParseField(string field, int offset, Bounds bounds, ImmutableArray<CronProblem>.Builder warnings)
    {
        ulong bits = 0;
        int position = offset;
        foreach (var item in field.Split(','))
        {
            // strings.FieldsFunc on ',' drops empty items, so "1,,2" is accepted.
            if (item.Length > 0)
                bits |= ParseItem(item, position, bounds, warnings);
            position += item.Length + 1;
        }
        if (bits == 0)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"the {bounds.Name} field `{field}` is empty", offset);
        return bits;
    }

    private static ulong ParseItem(string item, int offset, Bounds bounds, ImmutableArray<CronProblem>.Builder warnings)
    {
        if (IsQuartz(item))
            throw Fail(DiagnosticCatalogue.CronQuartzSyntax, $"`{item}` in the {bounds.Name} field: `L`, `W` and `#` are Quartz extensions the CronJob controller rejects", offset);

        var rangeAndStep = item.Split('/');
        var lowAndHigh = rangeAndStep[0].Split('-');
        bool single = lowAndHigh.Length == 1;
        int start, end, step;
        ulong extra = 0;
        if (lowAndHigh[0] is "*" or "?")
        {
            (start, end, extra) = (bounds.Min, bounds.Max, StarBit);
        }
        else
        {
            start = IntOrName(lowAndHigh[0], bounds, offset);
            end = lowAndHigh.Length switch
            {
                1 => start,
                2 => IntOrName(lowAndHigh[1], bounds, offset),
                _ => throw Fail(DiagnosticCatalogue.CronInvalid, $"too many hyphens in `{item}` ({bounds.Name} field)", offset),
            };
        }
        switch (rangeAndStep.Length)
        {
            case 1: step = 1; break;
            case 2:
                step = Int(rangeAndStep[1], bounds, offset);
                if (single) end = bounds.Max; // robfig: "N/step" means "N-max/step"
                break;
            default: throw Fail(DiagnosticCatalogue.CronInvalid, $"too many slashes in `{item}` ({bounds.Name} field)", offset);
        }
        if (start < bounds.Min)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"`{item}`: {bounds.Name} {start} is below the minimum {bounds.Min}", offset);
        if (end > bounds.Max)
        {
            if (bounds == DaysOfWeek && end == 7)
                throw Fail(DiagnosticCatalogue.CronSundaySeven, $"`{item}`: day of week 7 is out of range (0-6); Sunday is 0", offset);
            throw Fail(DiagnosticCatalogue.CronInvalid, $"`{item}`: {bounds.Name} {end} is above the maximum {bounds.Max}", offset);
        }
        if (start > end)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"`{item}`: the range starts ({start}) after it ends ({end})", offset);
        if (step == 0)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"`{item}`: a step must be positive", offset);
        if (rangeAndStep.Length == 2 && step > end - start)
            warnings.Add(new CronProblem(DiagnosticCatalogue.CronStepCoversRange,
                $"`{item}`: the step {step} is as large as the {bounds.Name} range {start}-{end}, so only {start} is selected", offset));

        ulong bits = 0;
        for (int v = start; v <= end; v += step)
            bits |= 1UL << v;
        return bits | extra;
    }

    private static bool IsQuartz(string item)
    {
        if (item.Contains('#'))
            return true;
        var upper = item.ToUpperInvariant();
        // Names such as JUL or WED contain L and W; only bare tokens like L, LW, 15W, 5L count.
        return upper.Split('-', '/', ',').Any(t => t is "L" or "LW" || (t.Length > 1 && (t[^1] is 'L' or 'W') && t[..^1].All(char.IsAsciiDigit)));
    }

    private static int IntOrName(string text, Bounds bounds, int offset) =>
        bounds.Names is not null && bounds.Names.TryGetValue(text.ToLowerInvariant(), out var value) ? value : Int(text, bounds, offset);

    /// <summary>Go's strconv.Atoi: optional sign, ASCII digits; negative numbers are then refused.</summary>
    private static int Int(string text, Bounds bounds, int offset)
    {
        var digits = text.Length > 0 && text[0] is '+' or '-' ? text[1..] : text;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            throw Fail(DiagnosticCatalogue.CronInvalid, text.Length == 0
                ? $"a number is missing in the {bounds.Name} field"
                : $"`{text}` is not a number{(bounds.Names is null ? "" : " or a name")} in the {bounds.Name} field", offset);
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value > 1000)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"`{text}` is out of range in the {bounds.Name} field", offset);
        if (value < 0)
            throw Fail(DiagnosticCatalogue.CronInvalid, $"negative number `{text}` in the {bounds.Name} field", offset);
        return value;
    }

    private static CronSchedule ParseDescriptor(string spec)
    {
        static CronSchedule Fixed(string spec, string fields) => ParseCore(fields, ImmutableArray.CreateBuilder<CronProblem>()) with { Expression = spec };
        switch (spec)
        {
            case "@yearly" or "@annually": return Fixed(spec, "0 0 1 1 *");
            case "@monthly": return Fixed(spec, "0 0 1 * *");
            case "@weekly": return Fixed(spec, "0 0 * * 0");
            case "@daily" or "@midnight": return Fixed(spec, "0 0 * * *");
            case "@hourly": return Fixed(spec, "0 * * * *");
        }
        const string every = "@every ";
        if (spec.StartsWith(every, StringComparison.Ordinal))
        {
            if (!GoDuration.TryParse(spec[every.Length..], out var duration) || duration <= TimeSpan.Zero)
                throw Fail(DiagnosticCatalogue.CronInvalid, $"`{spec}`: the duration is not a positive Go duration such as `1h30m`", every.Length);
            // robfig rounds @every down to whole seconds and to at least one second.
            var seconds = Math.Max(1, (long)duration.TotalSeconds);
            return new CronSchedule(spec, 0, 0, 0, 0, 0, TimeSpan.FromSeconds(seconds));
        }
        throw Fail(DiagnosticCatalogue.CronInvalid, $"unrecognized descriptor `{spec}` (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>; lower case)", 0);
    }

    private static CronSyntaxException Fail(DiagnosticRule rule, string message, int offset) => new(new CronProblem(rule, message, offset));
}
