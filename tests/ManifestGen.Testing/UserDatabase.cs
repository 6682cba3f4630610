namespace ManifestGen.Testing;

/// <summary>What this machine's user database says of a user.</summary>
public static class UserDatabase
{
    /// <summary>
    /// The home folder sshd gives <paramref name="user"/>'s sessions: the passwd entry's, not the test process's
    /// $HOME, which a CI job or a shell may point elsewhere (or leave unset).
    /// </summary>
    public static string HomeOf(string user)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var f = line.Split(':');
            if (f.Length >= 7 && f[0] == user) return f[5];
        }
        throw new InvalidOperationException($"no user '{user}' in /etc/passwd");
    }
}
