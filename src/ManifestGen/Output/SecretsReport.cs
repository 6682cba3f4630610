using System.Text;
using ManifestGen.Inventory;
using ManifestGen.Planning;

namespace ManifestGen.Output;

/// <summary>out/&lt;env&gt;/SECRETS.md: the Secrets the jobs reference and the keys they read, never a value.</summary>
public static class SecretsReport
{
    public static string Write(EnvironmentPlan plan)
    {
        // What the rendered manifests create (sealed or external mode); the rest the operator creates by hand.
        var rendered = plan.Manifests.Select(u => u.Model switch
        {
            SealedSecretModel m => m.Meta,
            ExternalSecretModel m => m.Meta,
            _ => null,
        }).OfType<ObjectMeta>().Select(m => (m.Namespace ?? plan.Namespace, m.Name)).ToHashSet();
        var byHand = plan.Secrets.Where(s => !rendered.Contains((s.Namespace, s.Name))).ToList();
        var sb = new StringBuilder();
        sb.Append("# Secrets of environment ").Append(plan.Environment).Append("\n\n");
        sb.Append(plan.SecretsMode switch
        {
            SecretsMode.Sealed => "Mode `sealed`: the SealedSecrets in manifests/ create the Secrets marked so below; the others are not sealed in " +
                "the inventory (`secrets.sealed.encryptedData`) and must be created by hand, as in the example.\n\n",
            SecretsMode.External => "Mode `external`: the ExternalSecrets in manifests/ create the Secrets marked so below from the secret store; " +
                "the others have no `secrets.external.remoteRefs` entry and must be created by hand, as in the example.\n\n",
            _ => "Mode `reference`: nothing secret is rendered. Create these Secrets by hand " +
                 "(for a test cluster: `manifestgen secrets " + plan.Environment + " --from DIR`).\n\n",
        });
        if (byHand.Count > 0)
            sb.Append("The first sync creates the namespaces, and a job's pod does not start until its Secrets exist: create the namespaces ")
              .Append("and these Secrets before the first sync (Argo CD takes over a namespace that already exists), as the example does.\n\n");
        var column = plan.SecretsMode != SecretsMode.Reference;
        sb.Append("| Namespace | Secret | Type | Keys | Used by |").Append(column ? " Created by |\n|---|---|---|---|---|---|\n" : "\n|---|---|---|---|---|\n");
        foreach (var s in plan.Secrets)
        {
            sb.Append("| `").Append(s.Namespace).Append("` | `").Append(s.Name).Append("` | `").Append(s.Type).Append("` | ")
              .Append(string.Join(", ", s.Keys.Select(k => "`" + k + "`"))).Append(" | ").Append(s.UsedBy).Append(" |");
            if (column)
                sb.Append(rendered.Contains((s.Namespace, s.Name))
                    ? (plan.SecretsMode == SecretsMode.Sealed ? " SealedSecret in manifests/ |" : " ExternalSecret in manifests/ |")
                    : " **by hand** |");
            sb.Append('\n');
        }
        if (byHand.Count == 0) return sb.ToString();
        sb.Append("\nExample (values are read from files, never typed on a command line):\n\n```sh\n");
        foreach (var ns in byHand.Select(s => s.Namespace).Distinct().Order(StringComparer.Ordinal))
            sb.Append("kubectl create namespace ").Append(ns).Append(" --dry-run=client -o yaml | kubectl apply -f -\n");
        foreach (var s in byHand)
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
