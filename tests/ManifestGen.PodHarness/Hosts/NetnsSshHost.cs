using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using ManifestGen.PodHarness.Processes;
using ManifestGen.PodHarness.Sandbox;

namespace ManifestGen.PodHarness.Hosts;

public sealed record NetnsSshHostOptions
{
    /// <summary>The host's name (its hostname inside the sandbox).</summary>
    public string Hostname { get; init; } = "kvm-test";
    /// <summary>
    /// Address sshd listens on inside the namespace. An inventory's address (even a private one) may be used:
    /// it is assigned to the namespace's own loopback, and the namespace has no other interface and no route,
    /// so no packet can leave it.
    /// </summary>
    public string Address { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 22;
    /// <summary>Host folders shown on the SSH host at their absolute path there (the compose apps' data).</summary>
    public ImmutableArray<SandboxMount> Mounts { get; init; } = [];
    /// <summary>Files placed on the SSH host (for example a recording stand-in for the docker CLI).</summary>
    public ImmutableArray<SandboxFile> Files { get; init; } = [];
    /// <summary>A bound for a hung start, never reached by a working one however loaded the machine is.</summary>
    public TimeSpan StartTimeout { get; init; } = ManifestGen.Testing.Patience.Progress;
    /// <summary>A private host key to serve (made with <see cref="NetnsSshHost.NewKeyAsync"/>); default: one generated here.</summary>
    public string? HostKeyFile { get; init; }
    /// <summary>
    /// The authorized_keys file as written (for example the generator's rendered lines with `restrict`,
    /// `from=` and `command=`, which sshd honours); default: the generated client key, unrestricted.
    /// </summary>
    public string? AuthorizedKeys { get; init; }
}

/// <summary>
/// A throwaway SSH host: a network namespace of its own with only a loopback interface, and a real OpenSSH
/// server in a sandbox whose filesystem shows the apps' folders at the host's absolute paths. Keys are
/// generated per instance in a private temp folder and accept root. Disposing stops sshd and every session,
/// deletes the namespace and the keys.
/// </summary>
public sealed class NetnsSshHost : IAsyncDisposable
{
    private const string ConfigDir = "/etc/manifestgen-test-sshd";
    private readonly string _dir;
    private RunningSandbox? _sshd;

    public string Namespace { get; }
    public string Address { get; }
    public int Port { get; }
    public string User => "root";
    /// <summary>The client's private key (mode 0400): what the pod's SSH key Secret holds.</summary>
    public string IdentityFile => Path.Combine(_dir, "keys", "id_ed25519");
    /// <summary>"ssh-ed25519 AAAA…": what an inventory pins as the host's key.</summary>
    public string HostPublicKey { get; private set; } = "";
    public string ServerLog => _sshd?.Output ?? "";

    private NetnsSshHost(string ns, string address, int port, string dir)
    {
        Namespace = ns;
        Address = address;
        Port = port;
        _dir = dir;
    }

    /// <summary>A namespace name unique to this run: "mg-" and random hex (fits IFNAMSIZ-style limits).</summary>
    public static string NewNamespaceName() => "mg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    public static async Task<NetnsSshHost> StartAsync(NetnsSshHostOptions options, string? namespaceName = null)
    {
        if (!IPAddress.TryParse(options.Address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new HarnessException($"ssh host: '{options.Address}' is not an IPv4 address");
        var ns = namespaceName ?? NewNamespaceName();
        var dir = Directory.CreateTempSubdirectory("mg-sshhost-").FullName;
        var host = new NetnsSshHost(ns, options.Address, options.Port, dir);
        try
        {
            await host.StartCoreAsync(options).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(NetnsSshHostOptions options)
    {
        var t = TimeSpan.FromSeconds(20);
        (await Proc.RunAsync("/usr/sbin/ip", ["netns", "add", Namespace], t).ConfigureAwait(false)).EnsureSuccess($"ip netns add {Namespace}");
        (await Proc.RunAsync("/usr/sbin/ip", ["-n", Namespace, "link", "set", "lo", "up"], t).ConfigureAwait(false)).EnsureSuccess("ip link set lo up");
        if (!Address.StartsWith("127.", StringComparison.Ordinal))
            (await Proc.RunAsync("/usr/sbin/ip", ["-n", Namespace, "addr", "add", $"{Address}/32", "dev", "lo"], t).ConfigureAwait(false))
                .EnsureSuccess($"ip addr add {Address}");

        var keys = Directory.CreateDirectory(Path.Combine(_dir, "keys")).FullName;
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hostKey = Path.Combine(keys, "ssh_host_ed25519_key");
        if (options.HostKeyFile is { } given)
        {
            File.Copy(given, hostKey);
            File.Copy(given + ".pub", hostKey + ".pub");
        }
        else
            await NewKeyAsync(hostKey, "manifestgen-test-host").ConfigureAwait(false);
        await NewKeyAsync(IdentityFile, "manifestgen-test-client").ConfigureAwait(false);
        if (options.AuthorizedKeys is { } lines)
            File.WriteAllText(Path.Combine(keys, "authorized_keys"), lines);
        else
            File.Copy(IdentityFile + ".pub", Path.Combine(keys, "authorized_keys"));
        HostPublicKey = Testing.OpenSsh.PublicKey(hostKey + ".pub");
        // The tests' one sshd configuration, seen by sshd at ConfigDir inside the sandbox.
        File.WriteAllText(Path.Combine(keys, "sshd_config"), new Testing.SshdConfig
        {
            ListenAddress = Address,
            Port = Port,
            HostKeyFile = $"{ConfigDir}/ssh_host_ed25519_key",
            AuthorizedKeysFile = $"{ConfigDir}/authorized_keys",
            User = User,
            LogLevel = "VERBOSE",
        }.Render());
        var privsep = Directory.CreateDirectory(Path.Combine(_dir, "privsep")).FullName;
        File.SetUnixFileMode(privsep, (UnixFileMode)Convert.ToInt32("755", 8));

        var spec = new SandboxSpec
        {
            Hostname = options.Hostname,
            Capabilities = null,
            Argv = ["/usr/sbin/sshd", "-D", "-e", "-f", $"{ConfigDir}/sshd_config"],
            Environment = ImmutableDictionary<string, string>.Empty
                .Add("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            Mounts = [new SandboxMount(keys, ConfigDir, ReadOnly: true, IsFile: false),
                      new SandboxMount(privsep, "/run/sshd", ReadOnly: true, IsFile: false),
                      .. options.Mounts],
            Files = options.Files,
            NetworkNamespace = Namespace,
        };
        _sshd = SandboxLauncher.Start(spec, Path.Combine(_dir, "sandbox"));
        await _sshd.WaitReadyAsync(l => l.Contains("Server listening on", StringComparison.Ordinal), options.StartTimeout, "sshd")
            .ConfigureAwait(false);
    }

    /// <summary>A throwaway ed25519 key pair without passphrase; the private half mode 0400.</summary>
    public static Task NewKeyAsync(string file, string comment) => Testing.OpenSsh.NewKeyAsync(file, comment);

    /// <summary>
    /// Runs the OpenSSH client inside the host's network namespace (so it connects from the address the pods
    /// connect from) with <paramref name="keyFile"/>, checking the host key; no command asks for a shell.
    /// </summary>
    public async Task<ProcResult> SshAsync(string keyFile, string? command)
    {
        var knownHosts = Path.Combine(_dir, "client_known_hosts");
        File.WriteAllText(knownHosts, Testing.OpenSsh.KnownHostsLine(Address, Port, HostPublicKey));
        List<string> args = ["--net=/run/netns/" + Namespace, "/usr/bin/ssh",
            .. Testing.OpenSsh.ClientArgs(Address, Port, User, keyFile, knownHosts, "-o", "ConnectTimeout=20", "-n")];
        if (command is not null) args.AddRange(["--", command]);
        return await Proc.RunAsync("/usr/bin/nsenter", args, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sshd is not null) await _sshd.DisposeAsync().ConfigureAwait(false);
        if (File.Exists($"/run/netns/{Namespace}"))
            await Proc.RunAsync("/usr/sbin/ip", ["netns", "delete", Namespace], TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
