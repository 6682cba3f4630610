using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using ManifestGen.Contracts;
using ManifestGen.PodHarness.Hosts;
using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Pods;
using ManifestGen.PodHarness.Processes;
using ManifestGen.PodHarness.Sandbox;
using ManifestGen.Planning;

namespace ManifestGen.PodHarness.Scenarios;

public sealed record ExampleOptions
{
    /// <summary>Checkout holding values/ and templates/.</summary>
    public required string RepositoryRoot { get; init; }
    public string Environment { get; init; } = "test-cluster";
    /// <summary>The app whose backup runs; default: the first rsync app in name order.</summary>
    public string? App { get; init; }
    public string GeneratorDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "manifestgen.dll");
    /// <summary>Changes the copied templates before the final render (contract tests break them on purpose).</summary>
    public Action<string>? MutateTemplates { get; init; }
    /// <summary>Network namespace name; default a random one.</summary>
    public string? NamespaceName { get; init; }
    public Action<string>? OnStderrLine { get; init; }
    public TimeSpan RunTimeout { get; init; } = ManifestGen.Testing.Patience.Progress;
}

/// <summary>
/// An example environment brought to life without a cluster. The inventory is copied and changed in two
/// places only — the host's pinned key becomes the throwaway sshd's key (keys are generated per run) and
/// the SSH user becomes root (the throwaway sshd admits root only, so no account is created on this
/// machine) — then rendered by the generator. The SSH host listens on the inventory's own address and
/// port, assigned inside a network namespace that has nothing but loopback, so the rendered address is
/// what the runner dials and no packet can leave the namespace. Pods run through <see cref="PodRunner"/>.
/// </summary>
public sealed class ExampleEnvironment : IAsyncDisposable
{
    private readonly ExampleOptions _options;
    private readonly string _root;
    private NetnsSshHost? _host;
    private ImmutableHashSet<string> _backupKeySecrets = [];
    /// <summary>One random password for every password key, the same in every run (the repository's stays valid).</summary>
    private readonly byte[] _password = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) + "\n");
    private readonly List<RunningPod> _servers = [];
    private ImmutableArray<V1HostAlias> _serviceHosts = [];

    public RenderedManifests Manifests { get; private set; } = null!;
    /// <summary>Files whose rendered bytes differ from rendering the unchanged inventory (relative paths).</summary>
    public ImmutableArray<string> ChangedByTestInventory { get; private set; } = [];
    public JobConfig BackupConfig { get; private set; } = null!;
    public string BackupWorkload { get; private set; } = "";
    /// <summary>The backup CronJobs of every app on the chosen app's host (each app's data is on the SSH host).</summary>
    public ImmutableArray<string> BackupWorkloads { get; private set; } = [];
    public NetnsSshHost Host => _host ?? throw new InvalidOperationException("not started");
    /// <summary>Folder behind the SSH host's filesystem: a host path P lives at HostRoot + P.</summary>
    public string HostRoot => Path.Combine(_root, "host");
    public string StateDirectory => Path.Combine(_root, "state");
    public string RenderRoot => Path.Combine(_root, "render");
    public string ComposeCallsFile => Path.Combine(_root, "compose-standin", "calls");
    /// <summary>The backup key's private half: what the SSH key Secret the CronJobs mount holds.</summary>
    public string BackupKeyFile => Path.Combine(_root, "keys", "backup");
    /// <summary>The restore key's private half: what the restore Secret holds (only restore Jobs mount it).</summary>
    public string RestoreKeyFile => Path.Combine(_root, "keys", "restore");
    /// <summary>The gate's log file as the host writes it, when the allow-lists name one.</summary>
    public string GateLogFile => Path.Combine(_root, "gate.log");
    public string GateLog => File.Exists(GateLogFile) ? File.ReadAllText(GateLogFile) : "";
    /// <summary>How the stand-in host differs from the one the inventory describes (also printed at start).</summary>
    public ImmutableArray<string> NotReproduced { get; private set; } = [];

    private ExampleEnvironment(ExampleOptions options)
    {
        _options = options;
        _root = Directory.CreateTempSubdirectory("mg-example-").FullName;
    }

    public static async Task<ExampleEnvironment> StartAsync(ExampleOptions options, CancellationToken ct = default)
    {
        var env = new ExampleEnvironment(options);
        try
        {
            await env.StartCoreAsync(ct).ConfigureAwait(false);
            return env;
        }
        catch
        {
            await env.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        // 1. A copy of the inventory and templates, rendered as they are.
        foreach (var dir in new[] { "values", "templates" })
            CopyTree(Path.Combine(_options.RepositoryRoot, dir), Path.Combine(RenderRoot, dir));
        var original = await RenderAsync(ct).ConfigureAwait(false);
        var originalFiles = Snapshot(OutDir);

        // 2. The app to back up, and what its job configuration says about the host.
        var backups = JobConfigs(original).Where(j => j.Config.Kind == JobKind.Backup).ToList();
        var chosen = _options.App is { } app
            ? backups.SingleOrDefault(b => b.Config.App?.Name == app)
            : backups.Where(b => b.Config.App?.Strategy == TransferStrategy.Rsync).OrderBy(b => b.Config.App!.Name, StringComparer.Ordinal).FirstOrDefault();
        if (chosen.Config is null)
            throw new HarnessException($"{_options.Environment}: no backup job for app '{_options.App ?? "(first rsync app)"}'");
        var config = chosen.Config;
        var host = config.Host ?? throw new HarnessException($"{chosen.Workload}: job configuration has no host");
        var appConfig = config.App!;

        // 3. The host's filesystem: a sample app at the paths of every app on that host, a compose stand-in.
        var onHost = backups.Where(b => b.Config.Host?.Name == host.Name).OrderBy(b => b.Config.App!.Name, StringComparer.Ordinal).ToList();
        foreach (var b in onHost) SampleApp.Write(HostRoot, b.Config.App!.Hooks.ComposeDirectory, b.Config.App.Paths);
        var standIn = Directory.CreateDirectory(Path.Combine(_root, "compose-standin")).FullName;
        File.WriteAllText(Path.Combine(standIn, "running"),
            string.Concat(onHost.SelectMany(b => b.Config.App!.Hooks.StopServices).Distinct(StringComparer.Ordinal).Select(s => s + "\n")));
        File.WriteAllText(ComposeCallsFile, "");
        var docker = Path.Combine(standIn, "docker");
        File.WriteAllText(docker, ComposeStandIn.Script);
        var roots = CoveringRoots(onHost.SelectMany(b => b.Config.App!.Paths
            .Concat(b.Config.App.Hooks.ComposeDirectory is { } cd ? [cd] : Array.Empty<string>())));

        // 4. Throwaway keys: the host's, the backup key (what the CronJobs' Secret holds) and the restore key.
        var keys = Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName;
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hostKey = Path.Combine(keys, "ssh_host_ed25519_key");
        await NetnsSshHost.NewKeyAsync(hostKey, "manifestgen-test-host").ConfigureAwait(false);
        await NetnsSshHost.NewKeyAsync(BackupKeyFile, "backup@" + host.Name).ConfigureAwait(false);
        await NetnsSshHost.NewKeyAsync(RestoreKeyFile, "restore@" + host.Name).ConfigureAwait(false);
        var hostPublicKey = string.Join(' ', File.ReadAllText(hostKey + ".pub").Trim().Split(' ').Take(2));

        // 5. The test inventory: the throwaway host key pinned, root as the SSH user (the throwaway sshd admits
        //    root only, so no account is created on this machine), the throwaway keys' public halves, and the
        //    gate's source range narrowed to the address the pods connect from (they share the host's network
        //    namespace, so sshd sees the host's own address). Nothing else changes.
        var knownHosts = original.ConfigMap($"known-hosts-{host.Name}", chosen.Namespace)?.Data?.Values.FirstOrDefault()
            ?? throw new HarnessException($"no known_hosts ConfigMap for host {host.Name}");
        var pinned = knownHosts.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 3 && f[1] == "ssh-ed25519")
            .Select(f => f[1] + " " + f[2])
            .Distinct()
            .ToList();
        if (pinned.Count == 0) throw new HarnessException($"host {host.Name} pins no ssh-ed25519 key");
        var replaced = 0;
        var sourceRange = host.Address + "/32";
        var notes = ImmutableArray.CreateBuilder<string>();
        string? inventoryRanges = null;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RenderRoot, "values"), "*.yaml", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            var changed = text;
            foreach (var key in pinned) changed = changed.Replace(key, hostPublicKey, StringComparison.Ordinal);
            changed = Regex.Replace(changed, $@"(?m)^(\s*user:\s*){Regex.Escape(host.User)}\s*$", "${1}root");
            changed = Regex.Replace(changed, @"(?m)^(\s*backupPublicKey:\s*).*$", m => m.Groups[1].Value + File.ReadAllText(BackupKeyFile + ".pub").Trim());
            changed = Regex.Replace(changed, @"(?m)^(\s*restorePublicKey:\s*).*$", m => m.Groups[1].Value + File.ReadAllText(RestoreKeyFile + ".pub").Trim());
            if (Regex.Match(changed, @"(?m)^\s*sourceRanges:\s*(.*)$") is { Success: true } ranges)
            {
                if (Path.GetFileNameWithoutExtension(file) == _options.Environment) inventoryRanges = ranges.Groups[1].Value.Trim();
                changed = Regex.Replace(changed, @"(?m)^(\s*sourceRanges:\s*).*$", "${1}[" + sourceRange + "]");
            }
            if (changed != text) { File.WriteAllText(file, changed); replaced++; }
        }
        notes.Add($"host gate: the rendered from= names {sourceRange}, the address the pods connect from in the harness" +
                  (inventoryRanges is null ? "" : $", instead of the inventory's {inventoryRanges}"));
        if (replaced == 0) throw new HarnessException("could not pin the test host key in the inventory copy");
        _options.MutateTemplates?.Invoke(Path.Combine(RenderRoot, "templates"));

        // 6. Render again: these are the manifests that run.
        Manifests = await RenderAsync(ct).ConfigureAwait(false);
        var now = Snapshot(OutDir);
        ChangedByTestInventory = [.. now.Keys.Union(originalFiles.Keys)
            .Where(k => !originalFiles.TryGetValue(k, out var a) || !now.TryGetValue(k, out var b) || a != b)
            .Order(StringComparer.Ordinal)];
        BackupWorkload = chosen.Workload;
        BackupConfig = JobConfigs(Manifests).Single(j => j.Workload == chosen.Workload).Config;
        BackupWorkloads = [.. onHost.Select(b => b.Workload)];

        // 7. The host as its operator sets it up from the rendered files (out/<env>/hosts/<host>/): the gate
        //    program where the rendered authorized_keys' command= runs it, the allow-lists beside it, and the
        //    rendered authorized_keys lines as the SSH user's only keys. Without hostGate: the backup key, plain.
        var gated = File.Exists(Path.Combine(OutDir, HostGatePlan.Folder, host.Name, HostGatePlan.AuthorizedKeysFile));
        var files = new List<SandboxFile> { new(docker, "/usr/local/bin/docker", "0755") };
        var mounts = new List<SandboxMount>();
        string authorizedKeys;
        if (gated)
        {
            var hostDir = Path.Combine(OutDir, HostGatePlan.Folder, host.Name);
            // A key the inventory does not name is rendered as its options in a comment: the operator pastes
            // the key's .pub line after them (README, host setup step 3), and so does the harness.
            authorizedKeys = Regex.Replace(File.ReadAllText(Path.Combine(hostDir, HostGatePlan.AuthorizedKeysFile)),
                $@"(?m)^# (restrict,.*/({Regex.Escape(HostGatePlan.BackupAllowFile)}|{Regex.Escape(HostGatePlan.RestoreAllowFile)})"")$",
                m => m.Groups[1].Value + " " + File.ReadAllText((m.Groups[2].Value == HostGatePlan.BackupAllowFile ? BackupKeyFile : RestoreKeyFile) + ".pub").Trim());
            var command = Regex.Match(authorizedKeys, $@"command=""(/\S+) (/\S+)/{Regex.Escape(HostGatePlan.BackupAllowFile)}""");
            if (!command.Success) throw new HarnessException($"{hostDir}/{HostGatePlan.AuthorizedKeysFile}: no gate command= for the backup key");
            var (program, configDirectory) = (command.Groups[1].Value, command.Groups[2].Value);
            files.Add(new SandboxFile(Path.Combine(_options.RepositoryRoot, "host", "manifestgen-gate"), program, "0755"));
            foreach (var allow in new[] { HostGatePlan.BackupAllowFile, HostGatePlan.RestoreAllowFile })
                files.Add(new SandboxFile(Path.Combine(hostDir, allow), configDirectory + "/" + allow, "0644"));
            // The sandbox the allow-lists name: the host setup's setuid copy of bubblewrap (the stand-in host's
            // sshd runs as root, for which it is privileged either way).
            var restoreList = File.ReadAllText(Path.Combine(hostDir, HostGatePlan.RestoreAllowFile));
            var sandbox = Regex.Match(restoreList, "(?m)^sandbox\t(/.+)$");
            if (sandbox.Success) files.Add(new SandboxFile("/usr/bin/bwrap", sandbox.Groups[1].Value, "4755"));
            // Restore windows: opened by the gate's own open-restore for every app of the host, as a person on
            // the host opens one before a restore, in a folder of this run bound where the allow-list names it.
            var windows = Regex.Match(restoreList, "(?m)^windows\t(/.+)$");
            if (windows.Success)
            {
                var local = Path.Combine(_root, "restore-windows");
                Directory.CreateDirectory(local);
                File.SetUnixFileMode(local, (UnixFileMode)Convert.ToInt32("755", 8));
                var localList = Path.Combine(_root, "restore.allow");
                File.WriteAllText(localList, restoreList.Replace("windows\t" + windows.Groups[1].Value + "\n", "windows\t" + local + "\n", StringComparison.Ordinal));
                foreach (var gatedApp in Regex.Matches(restoreList, "(?m)^path\t([^\t]+)\t").Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal))
                    (await Proc.RunAsync("bash", [Path.Combine(_options.RepositoryRoot, "host", "manifestgen-gate"), "open-restore", gatedApp, "1d", localList],
                        ManifestGen.Testing.Patience.Command).ConfigureAwait(false)).EnsureSuccess($"manifestgen-gate open-restore {gatedApp}");
                mounts.Add(new SandboxMount(local, windows.Groups[1].Value, ReadOnly: true, IsFile: false));
                notes.Add("host gate: a restore window is open for every app while the environment lives (an operator opens one per restore)");
            }
            // The allow-list's log file is a file of this machine bound on the host, so tests read the refusals.
            var log = Regex.Match(File.ReadAllText(Path.Combine(hostDir, HostGatePlan.BackupAllowFile)), "(?m)^log\t(.+)$");
            if (log.Success)
            {
                File.WriteAllText(GateLogFile, "");
                mounts.Add(new SandboxMount(GateLogFile, log.Groups[1].Value, ReadOnly: false, IsFile: true));
            }
            else
                notes.Add("host gate: the allow-lists name no log file and the stand-in host has no syslog: refusals reach only the client's stderr");
        }
        else
            authorizedKeys = File.ReadAllText(BackupKeyFile + ".pub");
        NotReproduced = notes.ToImmutable();
        foreach (var note in NotReproduced) Console.Error.WriteLine($"example environment: not reproduced: {note}");

        _host = await NetnsSshHost.StartAsync(new NetnsSshHostOptions
        {
            Hostname = host.Name,
            Address = host.Address,
            Port = host.Port,
            HostKeyFile = hostKey,
            AuthorizedKeys = authorizedKeys,
            Mounts = [.. roots.Select(r => new SandboxMount(SampleApp.Local(HostRoot, r), r, ReadOnly: false, IsFile: false)),
                      new SandboxMount(standIn, ComposeStandIn.StateDirOnHost, ReadOnly: false, IsFile: false),
                      .. mounts],
            Files = [.. files],
        }, _options.NamespaceName).ConfigureAwait(false);

        // 8. Test secrets for every Secret the CronJobs reference: the backup key in the SSH key Secrets they
        //    mount; any other SSH key Secret (the restore key's, only in Jobs applied by hand) gets the restore key.
        _backupKeySecrets = [.. Manifests.WorkloadNames().SelectMany(n => Manifests.Workload(n).PodSpec.Volumes ?? [])
            .Where(v => v.Secret?.Items?.Any(i => i.Key == PodPaths.SshKeyFileName) == true).Select(v => v.Secret.SecretName)];

        // 9. Long-running pods (the REST server's Deployment), and their Services' names for the other pods.
        await StartServersAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The Deployments' pods that run while this environment lives.</summary>
    public IReadOnlyList<RunningPod> Servers => _servers;

    /// <summary>
    /// Starts one pod of each Deployment and waits (bounded) until each port its Services name accepts
    /// connections inside the pods' network namespace. A Service's name (<c>NAME.NAMESPACE.svc</c> and
    /// <c>NAME.NAMESPACE</c>) resolves in every other pod's /etc/hosts to loopback of that shared namespace,
    /// where the server listens: no ClusterIP, kube-proxy or cluster DNS, and NetworkPolicies are not enforced.
    /// </summary>
    private async Task StartServersAsync(CancellationToken ct)
    {
        var services = Manifests.Services().ToList();
        _serviceHosts = [.. services.Select(svc => new V1HostAlias
        {
            Ip = "127.0.0.1",
            Hostnames = [$"{svc.Metadata.Name}.{svc.Metadata.NamespaceProperty}.svc", $"{svc.Metadata.Name}.{svc.Metadata.NamespaceProperty}"],
        })];
        foreach (var name in Manifests.DeploymentNames())
        {
            var pod = Runner(Manifests, null).StartAsync(name);
            _servers.Add(pod);
            var workload = Manifests.Workload(name);
            var labels = Manifests.Documents.Select(d => d.Object).OfType<V1Deployment>().Single(d => d.Metadata.Name == name).Spec.Template.Metadata.Labels;
            var ports = services.Where(svc => svc.Metadata.NamespaceProperty == workload.Namespace
                    && svc.Spec.Selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
                .SelectMany(svc => svc.Spec.Ports).Select(p => ContainerPort(workload, p)).Distinct();
            foreach (var port in ports)
                await WaitForPortAsync(pod, port, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The container port a Service port leads to (targetPort by number or by the container port's name).</summary>
    private static int ContainerPort(Workload workload, V1ServicePort port)
    {
        var target = port.TargetPort?.Value ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (int.TryParse(target, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
        return workload.PodSpec.Containers.SelectMany(c => c.Ports ?? []).SingleOrDefault(p => p.Name == target)?.ContainerPort
            ?? throw new HarnessException($"{workload.Source}: no container port named '{target}' for the Service's targetPort");
    }

    private async Task WaitForPortAsync(RunningPod pod, int port, CancellationToken ct)
    {
        // As long as one run may take: on a loaded machine a server's start is as slow as a run.
        var bound = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(2).Ticks, _options.RunTimeout.Ticks));
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            if (pod.Exited.IsCompleted)
                throw new HarnessException($"{pod.Name}: the pod ended before listening on port {port}: {await pod.Exited.ConfigureAwait(false)}");
            // bash's /dev/tcp inside the pods' network namespace: a connect, nothing sent.
            var probe = await Proc.RunAsync("/usr/sbin/ip", ["netns", "exec", Host.Namespace, "/usr/bin/bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/$1\"", "probe",
                port.ToString(System.Globalization.CultureInfo.InvariantCulture)], ManifestGen.Testing.Patience.Command, cancellationToken: ct).ConfigureAwait(false);
            if (probe.Succeeded) return;
            if (DateTime.UtcNow > deadline)
                throw new HarnessException($"{pod.Name}: not listening on port {port} after {bound.TotalMinutes:0.#} minutes");
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }
    }

    private string OutDir => Path.Combine(RenderRoot, "out", _options.Environment);

    private async Task<RenderedManifests> RenderAsync(CancellationToken ct)
    {
        if (!File.Exists(_options.GeneratorDll))
            throw new HarnessException($"{_options.GeneratorDll}: generator not built");
        var r = await Proc.RunAsync(DotnetHost.Path, [_options.GeneratorDll, "render", _options.Environment, "--root", RenderRoot],
            ManifestGen.Testing.Patience.Progress, cancellationToken: ct).ConfigureAwait(false);
        r.EnsureSuccess($"manifestgen render {_options.Environment}");
        // The synced folder: out/<env>/chart holds the same objects as Helm templates, not plain YAML.
        return RenderedManifests.Load(Path.Combine(OutDir, "manifests"));
    }

    /// <summary>Runs the generator on the test inventory with other arguments (`restore ...`); its stdout.</summary>
    public async Task<string> GenerateAsync(IEnumerable<string> args, CancellationToken ct = default)
    {
        var r = await Proc.RunAsync(DotnetHost.Path, [_options.GeneratorDll, .. args, "--root", RenderRoot],
            ManifestGen.Testing.Patience.Progress, cancellationToken: ct).ConfigureAwait(false);
        r.EnsureSuccess($"manifestgen {string.Join(' ', args)}");
        return r.Stdout;
    }

    /// <summary>Folder behind a claim's volume (claims are folders that persist between runs).</summary>
    public string ClaimDirectory(string claim) => Path.Combine(StateDirectory, "claims", claim);

    /// <summary>
    /// Runs a Job that is not in out/ but applied by hand (`manifestgen restore ... | kubectl create -f -`),
    /// together with the rendered objects and any others applied by hand (e.g. the claim it writes into).
    /// </summary>
    public Task<PodRunResult> RunAppliedAsync(string yaml, string workload, CancellationToken ct = default) =>
        Run(Manifests.With(RenderedManifests.FromYaml(yaml, "applied by hand")), workload, null, ct);

    /// <summary>
    /// <see cref="RunAppliedAsync(string, string, CancellationToken)"/> with some emptyDir volumes smaller than
    /// rendered (<see cref="PodRunOptions.EmptyDirSizeCaps"/>): what outgrows them shows without writing their full size.
    /// </summary>
    public Task<PodRunResult> RunAppliedAsync(string yaml, string workload, ImmutableDictionary<string, long> emptyDirSizeCaps, CancellationToken ct = default) =>
        Runner(Manifests.With(RenderedManifests.FromYaml(yaml, "applied by hand")), null, emptyDirSizeCaps).RunAsync(workload, ct);

    /// <summary>Runs a rendered CronJob or Job once.</summary>
    public Task<PodRunResult> RunAsync(string workload, ImmutableArray<string>? args = null, CancellationToken ct = default) =>
        Run(Manifests, workload, args, ct);

    private Task<PodRunResult> Run(RenderedManifests manifests, string workload, ImmutableArray<string>? args, CancellationToken ct) =>
        Runner(manifests, args).RunAsync(workload, ct);

    private PodRunner Runner(RenderedManifests manifests, ImmutableArray<string>? args, ImmutableDictionary<string, long>? emptyDirSizeCaps = null) =>
        new(manifests, new PodRunOptions
        {
            StateDirectory = StateDirectory,
            Secrets = WithHtpasswd(manifests, TestSecrets(manifests)),
            NetworkNamespace = Host.Namespace,
            Timeout = _options.RunTimeout,
            ArgsOverride = args,
            EmptyDirSizeCaps = emptyDirSizeCaps ?? ImmutableDictionary<string, long>.Empty,
            OnStderrLine = _options.OnStderrLine,
            ExtraHosts = _serviceHosts,
        });

    /// <summary>The workload whose job configuration has this kind (and app, for backups).</summary>
    public string Workload(JobKind kind, string? app = null, bool? prune = null)
    {
        var matches = JobConfigs(Manifests).Where(j => j.Config.Kind == kind && (app is null || j.Config.App?.Name == app)
            && (prune is null || j.Config.Maintenance?.Prune == prune)).ToList();
        return matches.Count == 1 ? matches[0].Workload
            : throw new HarnessException($"{matches.Count} workloads of kind {kind}{(app is null ? "" : " for " + app)}");
    }

    /// <summary>Each CronJob/Job with the job configuration it mounts (the ConfigMap key job.json).</summary>
    internal static IEnumerable<(string Workload, string Namespace, JobConfig Config)> JobConfigs(RenderedManifests manifests)
    {
        foreach (var name in manifests.WorkloadNames())
        {
            var w = manifests.Workload(name);
            // A restore drill runs in its backup's pod with the backup's job configuration: not a second backup.
            if (w.PodSpec.Containers?.FirstOrDefault()?.Args?.FirstOrDefault() == "drill") continue;
            foreach (var v in w.PodSpec.Volumes ?? [])
            {
                if (v.ConfigMap is null) continue;
                var cm = manifests.ConfigMap(v.ConfigMap.Name, w.Namespace);
                if (cm?.Data is null || !cm.Data.TryGetValue(PodPaths.JobConfigFileName, out var json)) continue;
                yield return (name, w.Namespace, JobConfigJson.Deserialize(json, $"ConfigMap/{cm.Metadata.Name}"));
            }
        }
    }

    private ImmutableDictionary<string, ImmutableDictionary<string, byte[]>> TestSecrets(RenderedManifests manifests)
    {
        var backupKey = File.ReadAllBytes(BackupKeyFile);
        var restoreKey = File.ReadAllBytes(RestoreKeyFile);
        var wanted = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Want(string name, string key)
        {
            if (!wanted.TryGetValue(name, out var keys)) wanted[name] = keys = new SortedSet<string>(StringComparer.Ordinal);
            keys.Add(key);
        }
        var pingKeys = new HashSet<(string, string)>();
        foreach (var name in manifests.WorkloadNames().Concat(manifests.DeploymentNames()))
        {
            var w = manifests.Workload(name);
            var pingVolumes = (w.PodSpec.Containers ?? []).SelectMany(c => c.VolumeMounts ?? [])
                .Where(m => m.MountPath == PodPaths.PingUrlDir).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var v in w.PodSpec.Volumes ?? [])
                if (v.Secret is { } s && manifests.Secret(s.SecretName, w.Namespace) is null)
                    foreach (var item in s.Items ?? [])
                    {
                        Want(s.SecretName, item.Key);
                        if (pingVolumes.Contains(v.Name)) pingKeys.Add((s.SecretName, item.Key));
                    }
            foreach (var c in w.PodSpec.Containers ?? [])
                foreach (var e in c.Env ?? [])
                    if (e.ValueFrom?.SecretKeyRef is { } r) Want(r.Name, r.Key);
        }
        // An SSH key Secret gets the backup or the restore key (above); a ping URL a closed port on the pod's loopback (the
        // runner warns and goes on, as when the monitoring service is down); every other key a random password.
        var password = _password;
        var pingUrl = Encoding.ASCII.GetBytes("http://127.0.0.1:9/ping/test\n");
        return wanted.ToImmutableDictionary(
            kv => kv.Key,
            kv => kv.Value.ToImmutableDictionary(k => k,
                k => k == PodPaths.SshKeyFileName ? (_backupKeySecrets.Contains(kv.Key) ? backupKey : restoreKey)
                    : pingKeys.Contains((kv.Key, k)) ? pingUrl : password, StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// The REST server's htpasswd Secret made from the test passwords of the hosts' credential Secrets: one
    /// <c>user:{SHA}…</c> line per REST user the job configurations name (the operator writes bcrypt lines
    /// with <c>htpasswd -B</c>; the server reads both, and this machine has no htpasswd tool).
    /// </summary>
    private static ImmutableDictionary<string, ImmutableDictionary<string, byte[]>> WithHtpasswd(
        RenderedManifests manifests, ImmutableDictionary<string, ImmutableDictionary<string, byte[]>> secrets)
    {
        var lines = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (workload, _, config) in JobConfigs(manifests))
        {
            if (config.Repository.RestUsername is not { } user) continue;
            var pod = manifests.Workload(workload).PodSpec;
            var mount = pod.Containers.SelectMany(c => c.VolumeMounts ?? []).Single(m => m.MountPath == PodPaths.RestPasswordDir);
            var secret = pod.Volumes.Single(v => v.Name == mount.Name).Secret;
            var password = Encoding.UTF8.GetString(secrets[secret.SecretName][PodPaths.RestPasswordKey]).TrimEnd('\n');
            lines[user] = user + ":{SHA}" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(password)));
        }
        foreach (var name in manifests.DeploymentNames())
        {
            var pod = manifests.Workload(name).PodSpec;
            foreach (var mount in pod.Containers.SelectMany(c => c.VolumeMounts ?? []).Where(m => m.MountPath == PodPaths.HtpasswdDir))
            {
                var secret = pod.Volumes.Single(v => v.Name == mount.Name).Secret.SecretName;
                secrets = secrets.SetItem(secret, secrets[secret].SetItem(PodPaths.HtpasswdKey,
                    Encoding.UTF8.GetBytes(string.Concat(lines.Values.Select(l => l + "\n")))));
            }
        }
        return secrets;
    }

    private static IReadOnlyList<string> CoveringRoots(IEnumerable<string> paths)
    {
        var sorted = paths.Select(p => p.TrimEnd('/')).Distinct().OrderBy(p => p.Length).ToList();
        var roots = new List<string>();
        foreach (var p in sorted)
            if (!roots.Any(r => p == r || p.StartsWith(r + "/", StringComparison.Ordinal)))
                roots.Add(p);
        return roots;
    }

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);

    private static void CopyTree(string from, string to)
    {
        if (!Directory.Exists(from)) throw new HarnessException($"{from}: missing");
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync().ConfigureAwait(false);
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
