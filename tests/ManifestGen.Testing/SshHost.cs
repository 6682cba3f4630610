using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ManifestGen.Contracts;

namespace ManifestGen.Testing;

public sealed record SshHostOptions
{
    /// <summary>Address sshd listens on; 127.0.0.1 unless it runs inside a namespace of the test's.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";
    /// <summary>Fixed port; 0 picks a free one (only meaningful without a command prefix).</summary>
    public int Port { get; init; }
    /// <summary>Prefix for sshd and the readiness probe, e.g. ["ip", "netns", "exec", "NS"].</summary>
    public ImmutableArray<string> CommandPrefix { get; init; } = [];
    /// <summary>Folders put in front of PATH in every session (fake tools such as a recording `docker`).</summary>
    public ImmutableArray<string> ExtraPath { get; init; } = [];
    /// <summary>
    /// How long sshd may take to accept connections: a bound for a hung start, never reached by a working one
    /// however loaded the machine is (a 2-core machine building images beside the tests takes seconds).
    /// </summary>
    public TimeSpan StartTimeout { get; init; } = Patience.Progress;
    /// <summary>
    /// Log in as this non-root user instead of root. The user exists only for this sshd: a passwd and group
    /// entry are added in a mount namespace of sshd's own (unshare -m, <see cref="PrivateUserDatabase"/>), so
    /// the machine's user database is not touched; its home is a folder of the host's temp dir.
    /// </summary>
    public LoginUser? LoginUser { get; init; }
    /// <summary>
    /// Give the host an `at` daemon of its own: sshd and atd run in a mount and PID namespace (unshare -m -p)
    /// with private tmpfs spools and /run, so `pgrep atd`, `at`, `atq` and `atrm` in the host's sessions see
    /// only this atd and its jobs, and the machine's spool is not touched. Everything in the namespace ends
    /// with sshd (its PID 1).
    /// </summary>
    public bool AtDaemon { get; init; }
    /// <summary>
    /// sshd and its sessions see a /run of their own (an empty tmpfs, with /run/sshd), so the host is the same
    /// whatever runs on this machine: the machine's systemd (/run/systemd/system) or atd (/run/atd.pid) would
    /// otherwise choose the dead man's switch's branch and own its timers, and a stop of the machine's own
    /// ssh.service removes /run/sshd under every sshd that uses it. Off only for a host entered through
    /// <see cref="CommandPrefix"/> whose /run is its own (<see cref="SystemdContainer"/>).
    /// </summary>
    public bool PrivateRun { get; init; } = true;
    /// <summary>
    /// Folder the host's keys, sshd_config and authorized_keys are created in (the system temp dir when
    /// null): a host in a container (<see cref="SystemdContainer"/>, entered through <see cref="CommandPrefix"/>)
    /// must see them at the same path.
    /// </summary>
    public string? TempRoot { get; init; }
}

/// <summary>A throwaway login for <see cref="SshHostOptions.LoginUser"/> (uid and gid not in the machine's database).</summary>
public sealed record LoginUser(string Name, int Uid, int Gid);

/// <summary>
/// A real OpenSSH server with throwaway keys: host and client keys are generated per fixture in a
/// private temp dir, sshd runs in the foreground (-D -e) and accepts the client key for root (or for a
/// throwaway non-root <see cref="SshHostOptions.LoginUser"/>). Dispose
/// kills sshd with every session it started and removes the keys.
/// </summary>
public sealed class SshHost : IAsyncDisposable
{
    private readonly TempDir _dir;
    private readonly BackgroundProcess _sshd;

    public string Address { get; }
    public int Port { get; }
    public string User { get; }
    /// <summary>Client private key (mode 0400), what the pod gets as its Secret.</summary>
    public string IdentityFile { get; }
    /// <summary>known_hosts pinning this server's host key at [address]:port.</summary>
    public string KnownHostsFile { get; }
    public string HostPublicKey { get; }
    public string Directory => _dir.Path;
    public string ServerLog => _sshd.Stderr;
    /// <summary>The listening sshd, for tests that cut the host off (established sessions live on).</summary>
    public int ServerPid => _sshd.Id;

    /// <summary>The login user's home on this host (root's real home without <see cref="SshHostOptions.LoginUser"/>).</summary>
    public string Home { get; }

    private SshHost(TempDir dir, BackgroundProcess sshd, string address, int port, string identity, string knownHosts, string hostPub, string user, string home)
    {
        User = user;
        Home = home;
        _dir = dir;
        _sshd = sshd;
        Address = address;
        Port = port;
        IdentityFile = identity;
        KnownHostsFile = knownHosts;
        HostPublicKey = hostPub;
    }

    public static async Task<SshHost> StartAsync(SshHostOptions? options = null)
    {
        options ??= new SshHostOptions();
        var dir = new TempDir("mgtest-sshd-", options.TempRoot);
        try
        {
            var hostKey = dir.Combine("ssh_host_ed25519_key");
            var clientKey = dir.Combine("id_ed25519");
            await OpenSsh.NewKeyAsync(hostKey, "manifestgen-test-host");
            await OpenSsh.NewKeyAsync(clientKey, "manifestgen-test-client");
            File.Copy(clientKey + ".pub", dir.Combine("authorized_keys"));
            var hostPub = (await File.ReadAllTextAsync(hostKey + ".pub")).Trim();
            var user = options.LoginUser?.Name ?? "root";
            var home = UserDatabase.HomeOf("root");
            ImmutableArray<string> prefix = options.CommandPrefix;
            // What runs in sshd's own namespace before sshd: $1 the folder for the user database, $2 the
            // passwd line, $3 the group line (all empty without a login user), then sshd's words.
            var setup = "set -e; mg_etc=$1; mg_passwd=$2; mg_group=$3; shift 3; ";
            string etc = "", passwd = "", group = "";
            if (options.LoginUser is { } login)
            {
                var inv = CultureInfo.InvariantCulture;
                home = dir.Combine("home-" + login.Name);
                System.IO.Directory.CreateDirectory(home);
                FileOwnership.Chown(home, login.Uid, login.Gid);
                // sshd reads authorized_keys as the user: the folder must be passable and the file readable.
                File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                File.SetUnixFileMode(dir.Combine("authorized_keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite |
                    UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                etc = System.IO.Directory.CreateDirectory(dir.Combine("etc")).FullName;
                passwd = $"{login.Name}:x:{login.Uid.ToString(inv)}:{login.Gid.ToString(inv)}::{home}:/bin/sh";
                group = $"{login.Name}:x:{login.Gid.ToString(inv)}:";
                setup += PrivateUserDatabase.Script;
            }
            // sshd refuses to start without its privilege separation directory.
            var privateRun = options.PrivateRun || options.AtDaemon;
            if (privateRun)
                setup += "mount -t tmpfs -o mode=0755 mgtest-run /run; mkdir -m 0755 /run/sshd; ";
            else if (options.CommandPrefix.IsEmpty)
                System.IO.Directory.CreateDirectory("/run/sshd");
            if (options.AtDaemon)
            {
                // at is setgid daemon and needs its spools (daemon's, 1770) and the sequence file; atd's pid
                // file goes to the private /run.
                setup += "d=$(id -u daemon); dg=$(id -g daemon); " +
                    "for s in /var/spool/cron/atjobs /var/spool/cron/atspool; do mount -t tmpfs -o mode=1770,uid=$d,gid=$dg tmpfs \"$s\"; done; " +
                    "install -o \"$d\" -g \"$dg\" -m 0600 /dev/null /var/spool/cron/atjobs/.SEQ; " +
                    "/usr/sbin/atd -f & ";
            }
            if (options.LoginUser is not null || privateRun)
            {
                // unshare (with -p it forks: sshd is the namespace's PID 1) and sh exec.
                prefix = [.. prefix, "unshare", "-m", "--propagation", "private",
                    .. options.AtDaemon ? new[] { "-p", "-f", "--mount-proc" } : [],
                    "--", "sh", "-c", setup + "exec \"$@\"", "sh", etc, passwd, group];
            }

            const int attempts = 5;
            for (var attempt = 1; ; attempt++)
            {
                var port = options.Port != 0 ? options.Port : FreePort();
                var config = dir.Write("sshd_config", new SshdConfig
                {
                    ListenAddress = options.ListenAddress,
                    Port = port,
                    HostKeyFile = hostKey,
                    // A non-root login also finds keys in its home, as on a real host.
                    AuthorizedKeysFile = dir.Combine("authorized_keys") + (options.LoginUser is null ? "" : " .ssh/authorized_keys"),
                    User = user,
                    ExtraPath = options.ExtraPath,
                }.Render());
                var sshd = new BackgroundProcess(prefix.IsEmpty ? "/usr/sbin/sshd" : prefix[0],
                    [.. prefix.Skip(1), .. prefix.IsEmpty ? [] : new[] { "/usr/sbin/sshd" }, "-D", "-e", "-f", config]);
                if (await WaitUntilAcceptingAsync(sshd, options, port, hostPub))
                {
                    var knownHosts = dir.Write("known_hosts", OpenSsh.KnownHostsLine(options.ListenAddress, port, hostPub));
                    return new SshHost(dir, sshd, options.ListenAddress, port, clientKey, knownHosts, hostPub, user, home);
                }
                var log = sshd.Stderr;
                await sshd.KillTreeAsync();
                await sshd.DisposeAsync();
                if (attempt >= attempts || options.Port != 0)
                    throw new InvalidOperationException($"sshd did not accept connections within {options.StartTimeout}: {log}");
            }
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Bounded readiness probe: ssh-keyscan (run under the same prefix) must see this host's own key. Any
    /// ed25519 key is not enough: the port was free when picked, but another sshd (of a test beside this one)
    /// may have taken it since, and then this sshd exits while the probe reaches the other.
    /// </summary>
    private static async Task<bool> WaitUntilAcceptingAsync(BackgroundProcess sshd, SshHostOptions o, int port, string hostPub)
    {
        var hostKey = string.Join(' ', hostPub.Split(' ').Take(2));
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < o.StartTimeout)
        {
            if (sshd.HasExited) return false;
            string[] probe = ["ssh-keyscan", "-T", "2", "-t", "ed25519", "-p", port.ToString(CultureInfo.InvariantCulture), o.ListenAddress];
            var r = o.CommandPrefix.IsEmpty
                ? await Proc.RunAsync(probe[0], probe.Skip(1), Patience.Command)
                : await Proc.RunAsync(o.CommandPrefix[0], [.. o.CommandPrefix.Skip(1), .. probe], Patience.Command);
            if (r.Stdout.Contains(hostKey, StringComparison.Ordinal)) return true;
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>The job configuration's host section for this server.</summary>
    public HostConfig ToHostConfig(string name, string? knownHostsFile = null) => new()
    {
        Name = name,
        Address = Address,
        Port = Port,
        User = User,
        IdentityFile = IdentityFile,
        KnownHostsFile = knownHostsFile ?? KnownHostsFile,
        ConnectTimeoutSeconds = 120,
        // ssh gives up after three unanswered keep-alives: on a machine stalled beside other projects sshd may not
        // answer within the default's 45 s, and no test measures how soon a dead server is noticed.
        ServerAliveIntervalSeconds = 60,
    };

    /// <summary>A known_hosts file that pins a different (freshly generated) key for this address.</summary>
    public async Task<string> WriteWrongKnownHostsAsync()
    {
        var other = _dir.Combine("other_host_key_" + Guid.NewGuid().ToString("N"));
        await OpenSsh.NewKeyAsync(other, "manifestgen-test-other-host");
        return _dir.Write(Path.GetFileName(other) + ".known_hosts", OpenSsh.KnownHostsLine(Address, Port, OpenSsh.PublicKey(other + ".pub")));
    }

    /// <summary>A new client key pair in this host's folder (not yet authorised); returns the private key file.</summary>
    public async Task<string> NewClientKeyAsync(string name)
    {
        var key = _dir.Combine(name);
        await OpenSsh.NewKeyAsync(key, "manifestgen-test-" + name);
        return key;
    }

    /// <summary>
    /// Appends authorized_keys lines (options such as restrict,from=,command= and the key), as an operator
    /// installs them; sshd reads the file at each login, so they apply to the next connection.
    /// </summary>
    public Task AuthorizeAsync(string authorizedKeysLines) =>
        File.AppendAllTextAsync(_dir.Combine("authorized_keys"), authorizedKeysLines.EndsWith('\n') ? authorizedKeysLines : authorizedKeysLines + "\n");

    /// <summary>ssh arguments (pinned key, batch mode) for running a command on this host from a test.</summary>
    public ImmutableArray<string> SshArgs(string? identityFile = null) =>
        OpenSsh.ClientArgs(Address, Port, User, identityFile ?? IdentityFile, KnownHostsFile);

    public async ValueTask DisposeAsync()
    {
        await _sshd.KillTreeAsync();
        await _sshd.DisposeAsync();
        _dir.Dispose();
    }
}
