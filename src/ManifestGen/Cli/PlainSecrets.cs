using System.Text;
using System.Text.Json.Nodes;
using ManifestGen.Output;
using ManifestGen.Planning;

namespace ManifestGen.Cli;

/// <summary>
/// For a test cluster: plain Secret YAML built from local files (DIR/&lt;secret&gt;/&lt;key&gt;) into a
/// git-ignored folder, ready for <c>kubectl apply -f</c>. Values never pass through a command line.
/// </summary>
public static class PlainSecrets
{
    public static (List<string> Written, List<string> Problems) Write(EnvironmentPlan plan, string fromDirectory, string targetDirectory)
    {
        var written = new List<string>();
        var problems = new List<string>();
        foreach (var secret in plan.Secrets)
        {
            var data = new JsonObject();
            foreach (var key in secret.Keys)
            {
                var file = Path.Combine(fromDirectory, secret.Name, key);
                if (!File.Exists(file))
                {
                    problems.Add($"missing {file} (key '{key}' of Secret '{secret.Name}')");
                    continue;
                }
                data[key] = Convert.ToBase64String(File.ReadAllBytes(file));
            }
            if (data.Count != secret.Keys.Length)
                continue;
            var obj = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Secret",
                ["metadata"] = new JsonObject { ["name"] = secret.Name, ["namespace"] = secret.Namespace },
                ["type"] = secret.Type,
                ["data"] = data,
            };
            Directory.CreateDirectory(targetDirectory);
            // Plain keys must never be committed: the folder ignores itself in any git repository, whatever
            // that repository's own .gitignore says (a GitOps repository has none for it).
            var ignore = Path.Combine(targetDirectory, ".gitignore");
            if (!File.Exists(ignore)) File.WriteAllText(ignore, "# written by manifestgen secrets: plain keys, never committed\n*\n", new UTF8Encoding(false));
            // The environment's namespace keeps the plain name; another namespace (sshfs) is named in the file.
            var path = Path.Combine(targetDirectory, secret.Namespace == plan.Namespace
                ? $"secret-{secret.Name}.yaml" : $"secret-{secret.Namespace}-{secret.Name}.yaml");
            File.WriteAllText(path, CanonicalYaml.Write(obj), new UTF8Encoding(false));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            written.Add(path);
        }
        return (written, problems);
    }
}
