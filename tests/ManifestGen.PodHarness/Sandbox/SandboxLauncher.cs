using System.Diagnostics;
using System.Globalization;
using System.Text;
using ManifestGen.PodHarness.Processes;

namespace ManifestGen.PodHarness.Sandbox;

/// <summary>
/// Runs a <see cref="SandboxSpec"/> in a mount, UTS and PID namespace of its own (util-linux <c>unshare</c>),
/// optionally inside a named network namespace (<c>nsenter --net</c>). The sandbox's process is PID 1 of its
/// namespace, as in a container: when it ends, everything it started ends, and every mount it made goes
/// with the namespace. Nothing is mounted in the caller's namespace.
/// It serves the throwaway SSH host only (a stand-in for the KVM host, whose filesystem is this machine's
/// with the apps' folders at their paths); pods run in the runner image under runc (<see cref="Runtime.RuncContainer"/>).
/// </summary>
public static class SandboxLauncher
{
    private const string Unshare = "/usr/bin/unshare";
    private const string Nsenter = "/usr/bin/nsenter";

    private static readonly string[] Tools =
        [Unshare, Nsenter, "/usr/bin/mount", "/usr/bin/umount", "/usr/sbin/pivot_root", "/usr/bin/setpriv", "/usr/sbin/chroot", "/usr/bin/env", "/usr/bin/hostname", "/bin/bash"];

    /// <summary>Starts a long-running sandbox (a server); the caller stops it with <see cref="RunningSandbox.DisposeAsync"/>.</summary>
    public static RunningSandbox Start(SandboxSpec spec, string workDir)
    {
        var (file, args) = Prepare(spec, workDir);
        var process = new Process { StartInfo = Proc.Create(file, args, spec.Environment) };
        return RunningSandbox.Start(process);
    }

    private static (string File, List<string> Args) Prepare(SandboxSpec spec, string workDir)
    {
        foreach (var tool in Tools)
            if (!File.Exists(tool))
                throw new HarnessException($"sandbox: {tool} is missing (run scripts/install-deps.sh)");
        if (spec.NetworkNamespace is { } ns && !File.Exists($"/run/netns/{ns}"))
            throw new HarnessException($"sandbox: network namespace '{ns}' does not exist");
        foreach (var reserved in new[] { "SHLVL", "_", "OLDPWD", "PWD" })
            if (spec.Environment.ContainsKey(reserved))
                throw new HarnessException($"sandbox: the environment variable {reserved} cannot be passed through faithfully");

        Directory.CreateDirectory(workDir);
        var launcher = Path.Combine(workDir, "launcher.sh");
        using (var res = typeof(SandboxLauncher).Assembly.GetManifestResourceStream("sandbox-launcher.sh")
                         ?? throw new HarnessException("sandbox: launcher script not embedded"))
        using (var fs = File.Create(launcher))
            res.CopyTo(fs);
        var plan = Path.Combine(workDir, "plan");
        // The plan holds no secret (values travel in the environment), but it is the sandbox's to read only.
        using (var fs = new FileStream(plan, new FileStreamOptions
               { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            fs.Write(EncodePlan(spec, Path.Combine(workDir, "root")));
        Directory.CreateDirectory(Path.Combine(workDir, "root"));

        var args = new List<string>();
        string file;
        if (spec.NetworkNamespace is { } netns)
        {
            file = Nsenter;
            args.AddRange([$"--net=/run/netns/{netns}", "--", Unshare]);
        }
        else
        {
            file = Unshare;
        }
        args.AddRange(["--mount", "--uts", "--pid", "--fork", "--kill-child", "--propagation", "private", "--", "/bin/bash", launcher, plan]);
        return (file, args);
    }

    /// <summary>The launcher's plan: NUL-terminated fields in the order sandbox-launcher.sh reads them.</summary>
    internal static byte[] EncodePlan(SandboxSpec spec, string baseDir)
    {
        var sb = new StringBuilder();
        void F(string value)
        {
            if (value.Contains('\0')) throw new HarnessException("sandbox: a NUL character cannot be passed");
            sb.Append(value).Append('\0');
        }
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);

        F(baseDir);
        F(spec.Hostname);
        F(N(spec.Uid));
        F(N(spec.Gid));
        F(string.Join(',', spec.Groups.Distinct().Order().Select(N)));
        F(spec.Capabilities is { } caps ? string.Join(',', caps.Select(c => "+" + c)) : "*");
        F(spec.NoNewPrivileges ? "1" : "0");
        F(spec.ReadOnlyRoot ? "1" : "0");
        F(spec.WorkingDir);
        foreach (var d in spec.Devices) F(d);
        F("");
        foreach (var f in spec.Files) { F(f.Source); F(f.Target); F(f.Mode); }
        F("");
        foreach (var m in spec.Mounts) { F(m.Source); F(m.Target); F(m.ReadOnly ? "ro" : "rw"); F(m.IsFile ? "file" : "dir"); }
        F("");
        foreach (var a in spec.Argv) F("+" + a);
        F("");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The kubelet's stop: SIGTERM to the container's PID 1, the grace period, then SIGKILL.</summary>
    internal static async Task StopAsync(Process unshare, TimeSpan grace)
    {
        if (unshare.HasExited) return;
        if (SandboxInit(unshare.Id) is { } init)
        {
            Proc.Signal(init, 15);
            using var g = new CancellationTokenSource(grace);
            try { await unshare.WaitForExitAsync(g.Token).ConfigureAwait(false); return; }
            catch (OperationCanceledException) { }
        }
        // SIGKILL to unshare; --kill-child takes PID 1 of the namespace, and with it every process in it.
        try { unshare.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        using var k = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await unshare.WaitForExitAsync(k.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    private static int? SandboxInit(int unsharePid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{unsharePid}/task/{unsharePid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], CultureInfo.InvariantCulture) : null;
        }
        catch (IOException) { return null; }
    }
}

/// <summary>A sandbox whose process keeps running (an SSH host); disposing stops it, bounded in time.</summary>
public sealed class RunningSandbox : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<string, bool>? _readyWhen;

    private RunningSandbox(Process process) => _process = process;

    internal static RunningSandbox Start(Process process)
    {
        var sandbox = new RunningSandbox(process);
        process.ErrorDataReceived += (_, e) => sandbox.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => sandbox.OnLine(e.Data);
        if (!process.Start()) throw new HarnessException("sandbox: could not start");
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return sandbox;
    }

    public string Output { get { lock (_stderr) return _stderr.ToString(); } }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_stderr)
        {
            _stderr.Append(line).Append('\n');
            if (_readyWhen?.Invoke(line) == true) _started.TrySetResult();
        }
    }

    /// <summary>Waits (bounded) until the process prints a line matching <paramref name="ready"/>.</summary>
    public async Task WaitReadyAsync(Func<string, bool> ready, TimeSpan timeout, string what)
    {
        lock (_stderr)
        {
            _readyWhen = ready;
            if (_stderr.ToString().Split('\n').Any(ready)) _started.TrySetResult();
        }
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(_started.Task, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (done == _started.Task) return;
        var why = done == exited ? $"exited with {_process.ExitCode}" : $"not ready after {timeout.TotalSeconds:0}s";
        throw new HarnessException($"{what} {why}: {Output.Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        await SandboxLauncher.StopAsync(_process, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
    }
}
