using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ManifestGen.Testing;

/// <summary>
/// restic's REST server (Debian's restic-rest-server) on 127.0.0.1 over a data folder, with an htpasswd
/// file of throwaway users. Each user's password is in a file of its own (as a pod gets it from a
/// Secret). Dispose stops the server; the data folder belongs to the caller.
/// </summary>
public sealed class RestServer : IAsyncDisposable
{
    private readonly TempDir _dir;
    private readonly BackgroundProcess _process;

    public string Url { get; }
    public ImmutableDictionary<string, string> PasswordFiles { get; }
    public string Log => _process.Stdout + "\n" + _process.Stderr;
    /// <summary>The server's process: a test freezes it (SIGSTOP) to make a repository that stops answering.</summary>
    public int Pid => _process.Id;

    private RestServer(TempDir dir, BackgroundProcess process, string url, ImmutableDictionary<string, string> passwordFiles)
    {
        _dir = dir;
        _process = process;
        Url = url;
        PasswordFiles = passwordFiles;
    }

    public static async Task<RestServer> StartAsync(string dataDir, IEnumerable<string> users, bool appendOnly, bool privateRepos)
    {
        var dir = new TempDir("mgtest-rest-");
        try
        {
            var files = ImmutableDictionary.CreateBuilder<string, string>();
            var htpasswd = new StringBuilder();
            foreach (var user in users)
            {
                var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                files[user] = dir.Write("password-" + user, password + "\n");
                // {SHA}: a salted hash is what production should use (htpasswd -B); the test only needs a login.
                htpasswd.Append(user).Append(":{SHA}").Append(Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes(password)))).Append('\n');
            }
            var htpasswdFile = dir.Write("htpasswd", htpasswd.ToString());
            const int attempts = 5;
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                var listen = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
                var args = new List<string> { "--path", dataDir, "--listen", listen, "--htpasswd-file", htpasswdFile };
                if (appendOnly) args.Add("--append-only");
                if (privateRepos) args.Add("--private-repos");
                var process = new BackgroundProcess("restic-rest-server", args);
                if (await AcceptingAsync(process, port))
                    return new RestServer(dir, process, "http://" + listen, files.ToImmutable());
                var log = process.Stderr;
                await process.KillTreeAsync();
                await process.DisposeAsync();
                if (attempt >= attempts) throw new InvalidOperationException("restic-rest-server did not start: " + log);
            }
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>The rest: repository location of a user's private repository.</summary>
    public string Repository(string user) => "rest:" + Url + "/" + user + "/";

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptingAsync(BackgroundProcess process, int port)
    {
        for (var i = 0; i < 150; i++)
        {
            if (process.HasExited) return false;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
                return true;
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
                await Task.Delay(100);
            }
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.KillTreeAsync();
        await _process.DisposeAsync();
        _dir.Dispose();
    }
}
