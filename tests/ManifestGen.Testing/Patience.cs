namespace ManifestGen.Testing;

/// <summary>
/// How long a test waits for something the code under test will do. These bounds decide how soon a hang
/// is reported, never whether healthy code passes on a slow machine: the suite runs beside other builds on
/// two cores (load up to 70 seen), where a backup of a small test app took over 5 minutes in CI, and a bound sized to
/// the machine's speed failed healthy runs. A test that asserts the product's own timing (a delay, a grace
/// period, a bound that must fire) measures it against the product's setting, not against these.
/// </summary>
public static class Patience
{
    /// <summary>A whole program run, a pod, a booted host, or the next step of a run (a log line, a marker file, a lock).</summary>
    public static readonly TimeSpan Progress = TimeSpan.FromMinutes(20);

    /// <summary>A small command the test runs itself (ip, stat, cp, ssh-keyscan, a shell one-liner, runc state).</summary>
    public static readonly TimeSpan Command = TimeSpan.FromMinutes(5);
}
