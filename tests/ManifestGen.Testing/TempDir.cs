namespace ManifestGen.Testing;

/// <summary>A private (0700) temporary directory, removed with everything in it on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; }

    /// <param name="parent">Folder to create it in (e.g. one a container sees at the same path); the system temp dir when null.</param>
    public TempDir(string prefix = "mgtest-", string? parent = null)
    {
        Path = parent is null
            ? Directory.CreateTempSubdirectory(prefix).FullName
            : Directory.CreateDirectory(System.IO.Path.Combine(parent, prefix + Guid.NewGuid().ToString("N")[..12]),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates the parent folders and writes the file; returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mount left by a failed test would make this throw; the next run's prefix is new anyway.
        }
    }
}
