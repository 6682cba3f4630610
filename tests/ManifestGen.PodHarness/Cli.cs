using System.Globalization;
using System.Security.Cryptography;
using ManifestGen.Contracts;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Scenarios;

namespace ManifestGen.PodHarness;

/// <summary>
/// <c>manifestgen-podharness demo</c>: what <c>make demo</c> runs. Renders the example environment, starts a
/// throwaway SSH host, runs the rendered init Job and one app's backup CronJob twice (a file changed between),
/// lists the snapshots, restores one file and compares it, and prints a report. Everything it starts is
/// stopped and removed before it returns, also on failure.
/// </summary>
internal static class Cli
{
    private const string Usage = """
        usage: manifestgen-podharness demo --root DIR [--env NAME] [--app NAME] [--netns NAME] [--verbose]
          --root DIR     checkout holding values/ and templates/
          --generator F  manifestgen.dll to render with (default: the one built next to this program)
          --env NAME     environment to render (default test-cluster)
          --app NAME     app whose backup CronJob runs (default: the first rsync app)
          --netns NAME   network namespace name for the SSH host (default: random)
          --verbose      show the runner's progress lines
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "demo")
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string? root = null, env = "test-cluster", app = null, netns = null, generator = null;
        var verbose = false;
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new HarnessException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--root": root = Value(); break;
                case "--generator": generator = Value(); break;
                case "--env": env = Value(); break;
                case "--app": app = Value(); break;
                case "--netns": netns = Value(); break;
                case "--verbose": verbose = true; break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}");
                    return 2;
            }
        }
        if (root is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        try
        {
            return await DemoAsync(new ExampleOptions
            {
                RepositoryRoot = root,
                Environment = env,
                App = app,
                NamespaceName = netns,
                GeneratorDll = generator ?? Path.Combine(AppContext.BaseDirectory, "manifestgen.dll"),
                OnStderrLine = verbose ? l => Console.Error.WriteLine("    | " + l) : null,
            }, cts.Token).ConfigureAwait(false);
        }
        catch (HarnessException ex)
        {
            Console.Error.WriteLine($"demo: {ex.Message}");
            return 1;
        }
    }

    private static async Task<int> DemoAsync(ExampleOptions options, CancellationToken ct)
    {
        var total = System.Diagnostics.Stopwatch.StartNew();
        Say($"Rendering values/ ({options.Environment}) and starting a throwaway SSH host ...");
        await using var env = await ExampleEnvironment.StartAsync(options, ct).ConfigureAwait(false);
        var app = env.BackupConfig.App!;
        var host = env.BackupConfig.Host!;
        Say($"  {env.Manifests.Documents.Length} documents rendered into out/{options.Environment}/");
        Say($"  test inventory differs from values/ only in: {string.Join(", ", env.ChangedByTestInventory)}");
        Say($"  SSH host '{host.Name}' listens on {host.Address}:{host.Port} inside network namespace {env.Host.Namespace} (loopback only)");
        Say($"  app '{app.Name}' ({app.Strategy}), paths: {string.Join(", ", app.Paths)}");

        Say("\n1. Repository initialisation (rendered Job)");
        Check(await env.RunAsync(env.Workload(JobKind.Init), ct: ct).ConfigureAwait(false), "init");

        Say($"\n2. First backup (rendered CronJob {env.BackupWorkload})");
        var first = Check(await env.RunAsync(env.BackupWorkload, ct: ct).ConfigureAwait(false), "backup 1");
        var s1 = RunSummaryLine.Parse(first.Stdout);

        var changed = Path.Join(env.HostRoot, app.Paths[0], "config.yaml");
        Say($"\n3. Changing one file on the host: {app.Paths[0]}/config.yaml");
        await File.AppendAllTextAsync(changed, $"# changed by the demo\n", ct).ConfigureAwait(false);

        Say($"\n4. Second backup (same CronJob, a new pod)");
        var second = Check(await env.RunAsync(env.BackupWorkload, ct: ct).ConfigureAwait(false), "backup 2");
        var s2 = RunSummaryLine.Parse(second.Stdout);

        Say("\n5. Snapshots of the app (runner `snapshots` in the CronJob's pod)");
        var snaps = Check(await env.RunAsync(env.BackupWorkload, ["snapshots"], ct).ConfigureAwait(false), "snapshots");
        foreach (var line in snaps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Say("    " + line);

        Say($"\n6. Restore {app.Paths[0]}/config.yaml back to the host after deleting it there (the restore Job `manifestgen restore` prints)");
        var expected = SHA256.HashData(await File.ReadAllBytesAsync(changed, ct).ConfigureAwait(false));
        File.Delete(changed);
        // What an operator runs: the printed Job mounts the restore key's Secret where the backup pod has the
        // backup key (which the host gate lets only read); behind the gate it writes only while a person on the
        // host has opened a restore window (`manifestgen-gate open-restore APP 2h`, opened here when the host was set up).
        var restoreJob = await env.GenerateAsync(["restore", options.Environment, $"{host.Name}/{app.Name}", "--path", $"{app.Paths[0]}/config.yaml", "--to-host"], ct)
            .ConfigureAwait(false);
        foreach (var line in restoreJob.Split('\n').Where(l => l.StartsWith('#')))
            Say("    " + line);
        var restoreName = Manifests.RenderedManifests.FromYaml(restoreJob, "manifestgen restore").Documents.Single().Name;
        Say($"    kubectl create -f - (Job {restoreName})");
        Check(await env.RunAppliedAsync(restoreJob, restoreName, ct).ConfigureAwait(false), "restore");
        var restored = File.Exists(changed) && SHA256.HashData(await File.ReadAllBytesAsync(changed, ct).ConfigureAwait(false)).AsSpan().SequenceEqual(expected);
        Say(restored ? "    restored file matches the backed-up bytes (SHA-256)" : "    RESTORED FILE DOES NOT MATCH");

        Say("\nReport");
        Say($"    {"run",-10} {"new",6} {"changed",8} {"unmodified",11} {"bytes sent",12} {"added",12} {"time",8}");
        foreach (var (name, s) in new[] { ("backup 1", s1), ("backup 2", s2) })
            Say($"    {name,-10} {s.FilesNew,6} {s.FilesChanged,8} {s.FilesUnmodified,11} {Bytes(s.BytesOverWire),12} {Bytes(s.BytesAdded),12} {s.DurationSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",8}");
        Say($"    not reproduced without a cluster: {string.Join("; ", second.NotReproduced)}");
        Say($"\nDone in {total.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s; stopping the SSH host and removing the namespace and temp folders.");
        return restored ? 0 : 1;
    }

    private static PodRunResult Check(PodRunResult r, string what)
    {
        Say($"    pod {r.PodName}: exit {r.ExitCode} in {r.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
        if (!r.Succeeded) throw new HarnessException($"{what} failed:\n{r}");
        return r;
    }

    private static string Bytes(long? b) => b switch
    {
        null => "-",
        < 1024 => $"{b} B",
        < 1024 * 1024 => $"{(b / 1024.0).Value.ToString("0.0", CultureInfo.InvariantCulture)} KiB",
        _ => $"{(b / 1048576.0).Value.ToString("0.0", CultureInfo.InvariantCulture)} MiB",
    };

    private static void Say(string line) => Console.Out.WriteLine(line);
}
