using ManifestGen.Testing;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// make test's closing lines (scripts/test-summary.sh) over TRX files as `dotnet test` writes them. A run
/// with no failed test must end in its closing line and exit 0: an earlier version, under `set -o pipefail`,
/// ended silently with exit 1 when its search for failed tests found none.
/// </summary>
public sealed class TestSummaryTests
{
    private static string Result(string name, string outcome, string? message = null) =>
        $"""    <UnitTestResult executionId="x" testId="y" testName="{name}" computerName="vm" duration="00:00:01" outcome="{outcome}" testType="t" testListId="l">""" + "\n" +
        (message is null ? "" : $"      <Output>\n        <ErrorInfo>\n          <Message>{message}</Message>\n        </ErrorInfo>\n      </Output>\n") +
        "    </UnitTestResult>\n";

    private static string Trx(int total, int executed, int passed, int failed, params string[] results) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<TestRun>\n  <Results>\n" + string.Concat(results) + "  </Results>\n" +
        $"  <ResultSummary outcome=\"{(failed > 0 ? "Failed" : "Completed")}\">\n" +
        $"    <Counters total=\"{total}\" executed=\"{executed}\" passed=\"{passed}\" failed=\"{failed}\" error=\"0\" />\n  </ResultSummary>\n</TestRun>\n";

    private static async Task<(int Exit, string[] Lines)> SummaryAsync(params (string File, string Content)[] trx)
    {
        using var dir = new TempDir("mgtest-summary-");
        foreach (var (file, content) in trx) dir.Write(file, content);
        var r = await Proc.RunAsync("bash", [Path.Combine(RepoPaths.Root, "scripts", "test-summary.sh"), dir.Path]);
        Assert.False(r.TimedOut);
        return (r.ExitCode, r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Should_end_in_the_closing_line_and_exit_0_when_every_test_passed()
    {
        var (exit, lines) = await SummaryAsync(
            ("a.trx", Trx(2, 2, 2, 0, Result("Ns.A.One", "Passed"), Result("Ns.A.Two", "Passed"))),
            ("b.trx", Trx(3, 2, 2, 0, Result("Ns.B.Three", "Passed"), Result("Ns.B.Four", "Passed"))));
        Assert.Equal(0, exit);
        Assert.Equal(["4 passed, 0 failed, 1 skipped"], lines);
    }

    [Fact]
    public async Task Should_name_every_failed_test_with_its_message_and_then_alone_above_the_closing_line_and_exit_1()
    {
        // TRX escapes what XML must: the names and messages are printed unescaped.
        var message = string.Join('\n', Enumerable.Range(1, 6).Select(i => $"line &lt;{i}&gt; &amp;"));
        var (exit, lines) = await SummaryAsync(
            ("a.trx", Trx(2, 2, 1, 1, Result("Ns.A.Passes", "Passed"), Result("Ns.A.Fails_with(x: &quot;a.b&quot;)", "Failed", message))),
            ("b.trx", Trx(1, 1, 0, 1, Result("Ns.B.Also_fails", "Failed", "one line"))));
        Assert.Equal(1, exit);
        Assert.Equal(
        [
            "failed: Ns.A.Fails_with(x: \"a.b\")", "  line <1> &", "  line <2> &", "  line <3> &", "  line <4> &",
            "failed: Ns.B.Also_fails", "  one line",
            "FAILED A.Fails_with(x: \"a.b\")", "FAILED B.Also_fails",
            "1 passed, 2 failed, 0 skipped",
        ], lines);
    }
}
