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

/// <summary>
/// out/ in a git revision (or, with an empty revision, in the index: what is staged). The whole of out/ is
/// read at the first <see cref="Read"/> with two git processes (the listing, then every blob through one
/// `git cat-file --batch`): a git process per file made `check` in a pre-commit hook take twice as long.
/// </summary>
public sealed class GitOutput : CommittedOutput
{
    private readonly string _root;
    private readonly string _revision;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _files;

    private GitOutput(string root, string revision)
    {
        (_root, _revision) = (root, revision);
        _files = new Lazy<IReadOnlyDictionary<string, string>>(ReadAll);
    }

    public override string Description => _revision.Length == 0 ? "the staged out/" : $"out/ at {_revision}";

    /// <summary>Null when git is missing, the folder is not a work tree or the revision does not exist.</summary>
    public static GitOutput? TryOpen(string root, string revision)
    {
        if (!Directory.Exists(root))
            return null;
        var probe = revision.Length == 0 ? Git(root, null, "rev-parse", "--git-dir") : Git(root, null, "rev-parse", "--verify", "--quiet", revision + "^{commit}");
        return probe is null ? null : new GitOutput(root, revision);
    }

    public override string? Read(string path) => _files.Value.TryGetValue("out/" + path, out var text) ? text : null;

    /// <summary>Every file under out/ in the revision (or the index), by its path from the root; empty when git fails.</summary>
    private Dictionary<string, string> ReadAll()
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        // Paths relative to the root (git's working directory), as Read is asked for them.
        var listing = _revision.Length == 0
            ? Git(_root, null, "ls-files", "--stage", "-z", "--", "out/")
            : Git(_root, null, "ls-tree", "-r", "-z", _revision, "--", "out/");
        if (listing is null)
            return files;
        var entries = new List<(string Path, string Object)>();
        foreach (var entry in Encoding.UTF8.GetString(listing).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // ls-files: "MODE OBJECT STAGE\tPATH"; ls-tree: "MODE TYPE OBJECT\tPATH".
            var tab = entry.IndexOf('\t', StringComparison.Ordinal);
            var fields = entry[..tab].Split(' ');
            if (_revision.Length != 0 && fields[1] != "blob")
                continue;
            entries.Add((entry[(tab + 1)..], _revision.Length == 0 ? fields[1] : fields[2]));
        }
        if (entries.Count == 0)
            return files;
        var batch = Git(_root, string.Concat(entries.Select(e => e.Object + "\n")), "cat-file", "--batch");
        if (batch is null)
            return files;
        // Per object: "OBJECT TYPE SIZE\n", SIZE bytes, "\n" (or "OBJECT missing\n"), in the order asked.
        var at = 0;
        foreach (var (path, _) in entries)
        {
            var end = Array.IndexOf(batch, (byte)'\n', at);
            if (end < 0)
                break;
            var header = Encoding.ASCII.GetString(batch, at, end - at).Split(' ');
            at = end + 1;
            if (header.Length != 3 || !int.TryParse(header[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size))
                continue;
            files[path] = new UTF8Encoding(false).GetString(batch, at, size);
            at += size + 1;
        }
        return files;
    }

    // Arguments as a list, never a shell string; output as bytes; bounded in time.
    private static byte[]? Git(string root, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
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
            using var stdout = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            _ = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                // Written while the output is read: a batch larger than the pipe's buffer cannot block git.
                var input = new UTF8Encoding(false).GetBytes(stdin);
                process.StandardInput.BaseStream.Write(input);
                process.StandardInput.Close();
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)) || !copy.Wait(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 ? stdout.ToArray() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git is not installed: there is nothing committed to compare with
        }
        catch (IOException)
        {
            return null; // git ended before it took its input
        }
    }
}
