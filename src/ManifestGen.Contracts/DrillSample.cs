using System.Globalization;

namespace ManifestGen.Contracts;

/// <summary>
/// The drill's `--sample N`: how many files each run restores and compares. The runner parses it with
/// this function and the generator's rule (MG0610) calls the same one, so an inventory value the runner
/// would refuse is refused at render time.
/// </summary>
public static class DrillSample
{
    /// <summary>The number, or null when the runner refuses the text (not a whole number of files, or less than one).</summary>
    public static int? Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sample) && sample >= 1 ? sample : null;

    /// <summary>Why the runner refuses <paramref name="text"/>, or null.</summary>
    public static string? WhyNot(string text) => Parse(text) is null ? $"--sample '{text}' must be a positive number of files" : null;

    /// <summary>The argument as the planner writes it.</summary>
    public static string Format(int sample) => sample.ToString(CultureInfo.InvariantCulture);
}
