using System.Globalization;
using System.Text.RegularExpressions;

namespace ManifestGen.Runner.Restic;

/// <summary>Parses `restic version` and enforces the minimum the runner relies on.</summary>
public static partial class ResticVersion
{
    /// <summary>0.17 brought exit codes 10/11/12, --stdin-from-command and restore --overwrite.</summary>
    public static readonly Version Minimum = new(0, 17, 0);

    [GeneratedRegex(@"^restic\s+(\d+)\.(\d+)(?:\.(\d+))?")]
    private static partial Regex VersionLine();

    public static Version? Parse(string output)
    {
        var m = VersionLine().Match(output.Trim());
        if (!m.Success) return null;
        int P(Group g) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
        return new Version(P(m.Groups[1]), P(m.Groups[2]), P(m.Groups[3]));
    }

    /// <summary>Throws a clear error when the version is missing or older than <see cref="Minimum"/>.</summary>
    public static Version Require(string output, string executable)
    {
        var v = Parse(output) ?? throw new RunnerException(RunnerExit.Usage,
            $"cannot tell the version of '{executable}' (`restic version` printed: {output.Trim()})");
        if (v < Minimum)
            throw new RunnerException(RunnerExit.Usage,
                $"restic {v} at '{executable}' is too old: the runner requires restic >= {Minimum.Major}.{Minimum.Minor} " +
                "(exit codes 10/11/12, --stdin-from-command, restore --overwrite); install 0.18 (Debian trixie) or run scripts/install-deps.sh");
        return v;
    }
}
