using System.Diagnostics;
using System.Text;

namespace ManifestGen.Output;

/// <summary>
/// What the cluster has, as far as the repository knows: the committed content of a file under out/.
/// The immutable-field checks compare the freshly rendered objects with it. It must not be the working
/// tree's out/ when that can already hold the new rendering (after `make render`), or a change the API
/// server rejects in place passes unwarned: the default is the commit HEAD, CI passes the merge base.
/// </summary>
public abstract class CommittedOutput
{
    /// <summary>Text of out/<paramref name="path"/> (path relative to out/), or null when it does not exist there.</summary>
    public abstract string? Read(string path);

    /// <summary>A short description for messages ("HEAD", "the working tree's out/").</summary>
    public abstract string Description { get; }

    /// <summary>
    /// <paramref name="baseline"/>: a git revision, "worktree" for out/ on disk, "index" for the staged
    /// tree, or null: HEAD when <paramref name="root"/> is a git work tree with a commit, else out/ on disk.
    /// </summary>
    public static CommittedOutput Resolve(string root, string outRoot, string? baseline)
    {
        if (baseline == "worktree")
            return new DirectoryOutput(outRoot);
        if (baseline is null)
            return GitOutput.TryOpen(root, "HEAD") ?? (CommittedOutput)new DirectoryOutput(outRoot);
        return GitOutput.TryOpen(root, baseline == "index" ? "" : baseline)
               ?? throw new IOException($"the baseline '{baseline}' is not a revision of the git repository at {root}");
    }
}

/// <summary>out/ as it is on disk.</summary>
public sealed class DirectoryOutput(string outRoot) : CommittedOutput
{
    public override string Description => "out/ on disk";

    public override string? Read(string path)
    {
        var full = Path.Combine(outRoot, path);
        try
        {
            return File.Exists(full) ? File.ReadAllText(full) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>out/ in a git revision (or, with an empty revision, in the index: what is staged).</summary>
public sealed class GitOutput : CommittedOutput
{
    private readonly string _root;
    private readonly string _revision;

    private GitOutput(string root, string revision) => (_root, _revision) = (root, revision);

    public override string Description => _revision.Length == 0 ? "the staged out/" : $"out/ at {_revision}";

    /// <summary>Null when git is missing, the folder is not a work tree or the revision does not exist.</summary>
    public static GitOutput? TryOpen(string root, string revision)
    {
        if (!Directory.Exists(root))
            return null;
        var probe = revision.Length == 0 ? Git(root, "rev-parse", "--git-dir") : Git(root, "rev-parse", "--verify", "--quiet", revision + "^{commit}");
        return probe is null ? null : new GitOutput(root, revision);
    }

    public override string? Read(string path) => Git(_root, "show", $"{_revision}:out/{path}");

    // Arguments as a list, never a shell string; output read as UTF-8; bounded in time.
    private static string? Git(string root, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(root);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start);
            if (process is null)
                return null;
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 ? stdout.GetAwaiter().GetResult() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed: there is nothing committed to compare with
        }
    }
}
