using System.Text;
using ManifestGen.Inventory;
using ManifestGen.Planning;

namespace ManifestGen.Output;

/// <summary>out/&lt;env&gt;/SECRETS.md: the Secrets the jobs reference and the keys they read, never a value.</summary>
public static class SecretsReport
{
    public static string Write(EnvironmentPlan plan)
    {
        var sb = new StringBuilder();
        sb.Append("# Secrets of environment ").Append(plan.Environment).Append("\n\n");
        sb.Append(plan.SecretsMode switch
        {
            SecretsMode.Sealed => "Mode `sealed`: the SealedSecrets in manifests/ create these Secrets; keys not sealed there must be created by hand.\n\n",
            SecretsMode.External => "Mode `external`: the ExternalSecrets in manifests/ create these Secrets from the secret store.\n\n",
            _ => "Mode `reference`: nothing secret is rendered. Create these Secrets, each in its namespace, before the first sync " +
                 "(for a test cluster: `manifestgen secrets " + plan.Environment + " --from DIR`).\n\n",
        });
        sb.Append("| Namespace | Secret | Type | Keys | Used by |\n|---|---|---|---|---|\n");
        foreach (var s in plan.Secrets)
            sb.Append("| `").Append(s.Namespace).Append("` | `").Append(s.Name).Append("` | `").Append(s.Type).Append("` | ")
              .Append(string.Join(", ", s.Keys.Select(k => "`" + k + "`"))).Append(" | ").Append(s.UsedBy).Append(" |\n");
        sb.Append("\nExample (values are read from files, never typed on a command line):\n\n```sh\n");
        foreach (var s in plan.Secrets)
        {
            sb.Append("kubectl -n ").Append(s.Namespace).Append(" create secret ")
              .Append(s.Type == "kubernetes.io/ssh-auth" ? "generic --type=kubernetes.io/ssh-auth " : "generic ")
              .Append(s.Name);
            foreach (var k in s.Keys)
                sb.Append(" --from-file=").Append(k).Append("=./").Append(s.Name).Append('/').Append(k);
            sb.Append('\n');
        }
        sb.Append("```\n");
        return sb.ToString();
    }
}
