using k8s.Models;

namespace ManifestGen.PodHarness.Manifests;

/// <summary>
/// A CronJob, Job or Deployment reduced to what one run needs: its pod template and the Job-level limits.
/// The fields of the CronJob and Job specs that only a controller acts on (schedule, history limits,
/// concurrency policy, retries) are recorded as not reproduced: the harness runs one pod once.
/// </summary>
public sealed record Workload(
    string Kind,
    string Name,
    string Namespace,
    V1PodSpec PodSpec,
    long? ActiveDeadlineSeconds,
    string Source)
{
    internal static Workload From(ManifestDocument doc)
    {
        switch (doc.Object)
        {
            case V1CronJob cj:
                SpecGuard.Check(cj.Spec, $"{doc.File}: CronJob/{doc.Name}: spec", SpecGuard.CronJobSpec);
                var jt = cj.Spec?.JobTemplate ?? throw new HarnessException($"{doc.File}: CronJob/{doc.Name}: spec.jobTemplate is required");
                SpecGuard.Check(jt, $"{doc.File}: CronJob/{doc.Name}: spec.jobTemplate", SpecGuard.JobTemplate);
                return FromJobSpec("CronJob", doc, jt.Spec, "spec.jobTemplate.spec");
            case V1Job job:
                return FromJobSpec("Job", doc, job.Spec, "spec");
            case V1Deployment deployment:
            {
                var where = $"{doc.File}: Deployment/{doc.Name}: spec";
                var spec = deployment.Spec ?? throw new HarnessException($"{where} is required");
                SpecGuard.Check(spec, where, SpecGuard.DeploymentSpec);
                var template = spec.Template ?? throw new HarnessException($"{where}.template is required");
                SpecGuard.Check(template, $"{where}.template", SpecGuard.PodTemplate);
                var podSpec = template.Spec ?? throw new HarnessException($"{where}.template.spec is required");
                return new Workload("Deployment", doc.Name, doc.Namespace ?? "default", podSpec, null, $"{where}.template.spec");
            }
            default:
                throw new HarnessException($"{doc.File}: {doc.Kind}/{doc.Name} is not a CronJob, Job or Deployment");
        }
    }

    private static Workload FromJobSpec(string kind, ManifestDocument doc, V1JobSpec? spec, string path)
    {
        var where = $"{doc.File}: {kind}/{doc.Name}: {path}";
        if (spec is null) throw new HarnessException($"{where} is required");
        SpecGuard.Check(spec, where, SpecGuard.JobSpec);
        if (spec.Parallelism is > 1 || spec.Completions is > 1)
            throw new HarnessException($"{where}: parallelism/completions above 1 are not supported by the harness");
        var template = spec.Template ?? throw new HarnessException($"{where}.template is required");
        SpecGuard.Check(template, $"{where}.template", SpecGuard.PodTemplate);
        var podSpec = template.Spec ?? throw new HarnessException($"{where}.template.spec is required");
        return new Workload(kind, doc.Name, doc.Namespace ?? "default", podSpec, spec.ActiveDeadlineSeconds, $"{doc.File}: {kind}/{doc.Name}: {path}.template.spec");
    }
}
