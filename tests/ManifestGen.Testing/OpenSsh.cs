using System.Collections.Immutable;
using System.Globalization;

namespace ManifestGen.Testing;

/// <summary>
/// The sshd_config of every throwaway SSH host the tests start (<see cref="SshHost"/> on 127.0.0.1 or in a
/// container, the pod harness's NetnsSshHost in a network namespace of its own): one configuration, so the
/// hosts differ only in where they listen, who may log in and what they log.
/// </summary>
public sealed record SshdConfig
{
    public required string ListenAddress { get; init; }
    public required int Port { get; init; }
    public required string HostKeyFile { get; init; }
    /// <summary>sshd's AuthorizedKeysFile value (one or more files, as sshd reads them).</summary>
    public required string AuthorizedKeysFile { get; init; }
    /// <summary>The only user allowed to log in (root logs in by key only).</summary>
    public required string User { get; init; }
    /// <summary>Folders put in front of PATH in every session (fake tools such as a recording `docker`).</summary>
    public ImmutableArray<string> ExtraPath { get; init; } = [];
    /// <summary>INFO, or VERBOSE where a test reads which key logged in.</summary>
    public string LogLevel { get; init; } = "INFO";

    /// <summary>
    /// Many sessions at once (the runner's multiplexed connections and parallel tests), no PAM, keys only,
    /// StrictModes off (the keys live in a temp folder), PATH set for every session, internal sftp.
    /// </summary>
    public string Render()
    {
        var path = string.Join(':', [.. ExtraPath, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        return $"""
            Port {Port.ToString(CultureInfo.InvariantCulture)}
            ListenAddress {ListenAddress}
            HostKey {HostKeyFile}
            PidFile none
            AuthorizedKeysFile {AuthorizedKeysFile}
            PermitRootLogin prohibit-password
            AllowUsers {User}
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            MaxStartups 64:30:128
            MaxSessions 64
            SetEnv PATH={path}
            Subsystem sftp internal-sftp
            LogLevel {LogLevel}

            """;
    }
}

/// <summary>Keys, known_hosts lines and client arguments for the tests' SSH hosts.</summary>
public static class OpenSsh
{
    /// <summary>A throwaway ed25519 key pair without passphrase; the private half mode 0400.</summary>
    public static async Task NewKeyAsync(string file, string comment)
    {
        await Proc.CheckedAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file);
        File.SetUnixFileMode(file, UnixFileMode.UserRead);
    }

    /// <summary>"ssh-ed25519 AAAA…" of a public key file (its comment left out).</summary>
    public static string PublicKey(string publicKeyFile) =>
        string.Join(' ', File.ReadAllText(publicKeyFile).Trim().Split(' ').Take(2));

    /// <summary>A known_hosts line pinning <paramref name="publicKey"/> ("type base64") for the address and port.</summary>
    public static string KnownHostsLine(string address, int port, string publicKey) =>
        (port == 22 ? address : $"[{address}]:{port.ToString(CultureInfo.InvariantCulture)}")
        + " " + string.Join(' ', publicKey.Split(' ').Take(2)) + "\n";

    /// <summary>
    /// ssh arguments that pin the host key and never ask anything (batch mode, this key only, no user or
    /// system configuration), ending with the destination; <paramref name="options"/> go before it.
    /// </summary>
    public static ImmutableArray<string> ClientArgs(string address, int port, string user, string identityFile, string knownHostsFile,
        params string[] options) =>
    [
        "-F", "/dev/null", "-p", port.ToString(CultureInfo.InvariantCulture), "-i", identityFile,
        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=" + knownHostsFile, "-o", "GlobalKnownHostsFile=/dev/null",
        .. options,
        "-T", user + "@" + address,
    ];
}
