using k8s.Models;
using ManifestGen.Rendering;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// The ported API server validation against cases from Kubernetes' own tests
/// (apimachinery/pkg/util/validation/validation_test.go, pkg/apis/batch/validation/validation_test.go,
/// pkg/apis/core/validation/validation_test.go): what Kubernetes accepts passes, what it rejects fails.
/// </summary>
public sealed class KubernetesValidationTests
{
    // TestIsDNS1123Label
    [Theory]
    [InlineData("a")] [InlineData("ab")] [InlineData("abc")] [InlineData("a1")] [InlineData("a-1")] [InlineData("a--1--2--b")]
    [InlineData("0")] [InlineData("01")] [InlineData("012")] [InlineData("1a")] [InlineData("1-a")] [InlineData("1--a--b--2")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Should_accept_the_dns1123_labels_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsDns1123Label(value));

    [Theory]
    [InlineData("")] [InlineData("A")] [InlineData("ABC")] [InlineData("aBc")] [InlineData("A1")] [InlineData("A-1")] [InlineData("1-A")]
    [InlineData("-")] [InlineData("a-")] [InlineData("-a")] [InlineData("1-")] [InlineData("-1")] [InlineData("_")] [InlineData("a_")]
    [InlineData("_a")] [InlineData("a_b")] [InlineData("1_")] [InlineData("_1")] [InlineData("1_2")] [InlineData(".")] [InlineData("a.")]
    [InlineData(".a")] [InlineData("a.b")] [InlineData("1.")] [InlineData(".1")] [InlineData("1.2")] [InlineData(" ")] [InlineData("a ")]
    [InlineData(" a")] [InlineData("a b")] [InlineData("1 ")] [InlineData(" 1")] [InlineData("1 2")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Should_reject_the_dns1123_labels_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsDns1123Label(value));

    // TestIsDNS1123Subdomain
    [Theory]
    [InlineData("a")] [InlineData("a.a")] [InlineData("a.b.c")] [InlineData("0.0")] [InlineData("a-1.b-2")] [InlineData("a--1.b--2")]
    [InlineData("1.2.3.4")] [InlineData("example.com")]
    public void Should_accept_the_dns1123_subdomains_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsDns1123Subdomain(value));

    [Theory]
    [InlineData("")] [InlineData("A")] [InlineData("a.B")] [InlineData("-")] [InlineData("a-")] [InlineData("a.-a")] [InlineData("_")]
    [InlineData("a_b")] [InlineData(".")] [InlineData("a.")] [InlineData(".a")] [InlineData("a..b")] [InlineData("a b")] [InlineData("0..0")]
    public void Should_reject_the_dns1123_subdomains_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsDns1123Subdomain(value));

    // TestIsQualifiedName
    [Theory]
    [InlineData("simple")] [InlineData("now-with-dashes")] [InlineData("1-starts-with-num")] [InlineData("1234")] [InlineData("simple/simple")]
    [InlineData("now-with-dashes/simple")] [InlineData("now-with-dashes/now-with-dashes")] [InlineData("now.with.dots/simple")]
    [InlineData("now-with.dashes-and.dots/simple")] [InlineData("1-num.2-num/3-num")] [InlineData("1234/5678")] [InlineData("1.2.3.4/5678")]
    [InlineData("Uppercase_Is_OK_123")] [InlineData("example.com/Uppercase_Is_OK_123")] [InlineData("app.kubernetes.io/component")]
    public void Should_accept_the_qualified_names_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsQualifiedName(value));

    [Theory]
    [InlineData("nospecialchars%^=@")] [InlineData("cantendwithadash-")] [InlineData("-cantstartwithadash-")] [InlineData("only/one/slash")]
    [InlineData("Example.com/abc")] [InlineData("example_com/abc")] [InlineData("example.com/")] [InlineData("/simple")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Should_reject_the_qualified_names_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsQualifiedName(value));

    // TestIsValidLabelValue
    [Theory]
    [InlineData("simple")] [InlineData("now-with-dashes")] [InlineData("1-starts-with-num")] [InlineData("end-with-num-1")] [InlineData("1234")]
    [InlineData("")] [InlineData("A.B.C")] [InlineData("Uppercase_Is_OK_123")]
    public void Should_accept_the_label_values_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsLabelValue(value));

    [Theory]
    [InlineData("nospecialchars%^=@")] [InlineData("Tama-nui-te-rā.is.Māori.sun")] [InlineData("\\backslashes\\are\\bad")]
    [InlineData("-starts-with-dash")] [InlineData("ends-with-dash-")] [InlineData(".starts.with.dot")] [InlineData("ends.with.dot.")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Should_reject_the_label_values_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsLabelValue(value));

    // TestIsEnvVarName
    [Theory]
    [InlineData("a")] [InlineData("A")] [InlineData("ab")] [InlineData("AbC")] [InlineData("F")] [InlineData("_")] [InlineData("a1")]
    [InlineData("_a")] [InlineData("a_")] [InlineData("a_b")] [InlineData("a.b")] [InlineData("a-b")] [InlineData("a-b.c")] [InlineData("MANIFESTGEN_JOB_CONFIG")]
    public void Should_accept_the_env_var_names_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsEnvVarName(value));

    [Theory]
    [InlineData("")] [InlineData("1")] [InlineData("123")] [InlineData("1a")] [InlineData("a b")] [InlineData("a=b")] [InlineData("a$b")] [InlineData(".")] [InlineData("..")] [InlineData("..a")]
    public void Should_reject_the_env_var_names_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsEnvVarName(value));

    // TestIsConfigMapKey
    [Theory]
    [InlineData("a")] [InlineData("good")] [InlineData("good_good")] [InlineData("good-good")] [InlineData("1")] [InlineData("1.2")]
    [InlineData("a.b.c")] [InlineData(".a")] [InlineData("job.json")] [InlineData("known_hosts")]
    public void Should_accept_the_configmap_keys_kubernetes_accepts(string value) => Assert.Null(KubernetesValidation.IsConfigMapKey(value));

    [Theory]
    [InlineData("")] [InlineData(".")] [InlineData("..")] [InlineData("..bad")] [InlineData("b*d")] [InlineData("bad!&bad")] [InlineData("a/b")] [InlineData("a b")]
    public void Should_reject_the_configmap_keys_kubernetes_rejects(string value) => Assert.NotNull(KubernetesValidation.IsConfigMapKey(value));

    private static V1CronJob CronJob(Action<V1CronJobSpec, V1JobSpec, V1PodSpec, V1Container> edit)
    {
        var container = new V1Container
        {
            Name = "runner", Image = "registry.example.org/runner:1", ImagePullPolicy = "IfNotPresent",
            Env = [new V1EnvVar { Name = "MANIFESTGEN_JOB_CONFIG", Value = "/etc/manifestgen/job/job.json" }],
            VolumeMounts = [new V1VolumeMount { MountPath = "/etc/manifestgen/job", Name = "job" }],
            Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") }, Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi") } },
        };
        var pod = new V1PodSpec { RestartPolicy = "Never", TerminationGracePeriodSeconds = 120, Containers = [container], Volumes = [new V1Volume { Name = "job", ConfigMap = new V1ConfigMapVolumeSource { Name = "backup-a-b" } }] };
        var job = new V1JobSpec { ActiveDeadlineSeconds = 3600, BackoffLimit = 0, Template = new V1PodTemplateSpec { Spec = pod } };
        var spec = new V1CronJobSpec { Schedule = "0 2 * * *", TimeZone = "Europe/Berlin", ConcurrencyPolicy = "Forbid", StartingDeadlineSeconds = 600, SuccessfulJobsHistoryLimit = 3, FailedJobsHistoryLimit = 3, JobTemplate = new V1JobTemplateSpec { Spec = job } };
        edit(spec, job, pod, container);
        return new V1CronJob { Metadata = new V1ObjectMeta { Name = "backup-a-b", NamespaceProperty = "backup", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "manifestgen" } }, Spec = spec };
    }

    private static IReadOnlyList<ApiFieldError> Validate(object typed) =>
        KubernetesValidation.Validate(new RenderedObject("batch/v1", typed.GetType().Name[2..], "x", null, typed, "t.sbn"));

    public static TheoryData<string, string> BadCronJobs() => new()
    {
        // batch/validation_test.go TestValidateCronJob
        { "startingDeadlineSeconds -1", "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0" },
        { "successfulJobsHistoryLimit -1", "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0" },
        { "failedJobsHistoryLimit -1", "spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0" },
        { "concurrencyPolicy Sometimes", "spec.concurrencyPolicy: Invalid value: \"Sometimes\": Unsupported value" },
        { "activeDeadlineSeconds 0", "spec.jobTemplate.spec.activeDeadlineSeconds: Invalid value: 0: must be greater than 0" },
        { "backoffLimit -1", "spec.jobTemplate.spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0" },
        { "restartPolicy Always", "spec.jobTemplate.spec.template.spec.restartPolicy: Invalid value: \"Always\"" },
        // core/validation_test.go: pods, containers, volumes
        { "terminationGracePeriodSeconds -1", "spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds: Invalid value: -1" },
        { "container name Runner", "spec.jobTemplate.spec.template.spec.containers[0].name: Invalid value: \"Runner\"" },
        { "env name 1BAD", "spec.jobTemplate.spec.template.spec.containers[0].env[0].name: Invalid value: \"1BAD\"" },
        { "mount of a missing volume", "spec.jobTemplate.spec.template.spec.containers[0].volumeMounts[0].name: Invalid value: \"nope\": Not found" },
        { "request above limit", "spec.jobTemplate.spec.template.spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi" },
        { "runAsUser -1", "spec.jobTemplate.spec.template.spec.securityContext.runAsUser: Invalid value: -1" },
        { "volume name with a dot", "spec.jobTemplate.spec.template.spec.volumes[0].name: Invalid value: \"job.config\"" },
        { "privileged without escalation", "spec.jobTemplate.spec.template.spec.containers[0].securityContext: Invalid value: cannot set `allowPrivilegeEscalation` to false and `privileged` to true" },
    };

    [Theory]
    [MemberData(nameof(BadCronJobs))]
    public void Should_reject_the_cron_jobs_kubernetes_rejects(string change, string expected)
    {
        Assert.Empty(Validate(CronJob((_, _, _, _) => { })));
        var cronJob = CronJob((spec, job, pod, container) =>
        {
            switch (change)
            {
                case "startingDeadlineSeconds -1": spec.StartingDeadlineSeconds = -1; break;
                case "successfulJobsHistoryLimit -1": spec.SuccessfulJobsHistoryLimit = -1; break;
                case "failedJobsHistoryLimit -1": spec.FailedJobsHistoryLimit = -1; break;
                case "concurrencyPolicy Sometimes": spec.ConcurrencyPolicy = "Sometimes"; break;
                case "activeDeadlineSeconds 0": job.ActiveDeadlineSeconds = 0; break;
                case "backoffLimit -1": job.BackoffLimit = -1; break;
                case "restartPolicy Always": pod.RestartPolicy = "Always"; break;
                case "terminationGracePeriodSeconds -1": pod.TerminationGracePeriodSeconds = -1; break;
                case "container name Runner": container.Name = "Runner"; break;
                case "env name 1BAD": container.Env[0].Name = "1BAD"; break;
                case "mount of a missing volume": container.VolumeMounts[0].Name = "nope"; break;
                case "request above limit": container.Resources.Requests["memory"] = new ResourceQuantity("2Gi"); break;
                case "runAsUser -1": pod.SecurityContext = new V1PodSecurityContext { RunAsUser = -1 }; break;
                case "volume name with a dot": pod.Volumes[0].Name = "job.config"; container.VolumeMounts[0].Name = "job.config"; break;
                case "privileged without escalation": container.SecurityContext = new V1SecurityContext { Privileged = true, AllowPrivilegeEscalation = false }; break;
                default: throw new ArgumentException(change);
            }
        });
        var errors = Validate(cronJob);
        Assert.Contains(errors, e => e.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Should_reject_volumes_and_claims_kubernetes_rejects()
    {
        var pv = new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "restic" },
            Spec = new V1PersistentVolumeSpec
            {
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("0") },
                AccessModes = ["ReadWriteMany", "ReadWriteOncePod"],
                Nfs = new V1NFSVolumeSource { Server = "nas", Path = "volume1/restic" },
                StorageClassName = "Static_Class",
            },
        };
        var errors = Validate(pv).Select(e => e.ToString()).ToList();
        Assert.Contains(errors, e => e.StartsWith("spec.capacity[storage]: Invalid value: \"0\": must be greater than zero", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.nfs.path: Invalid value: \"volume1/restic\": must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.storageClassName: Invalid value: \"Static_Class\"", StringComparison.Ordinal));

        var claim = new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "mirror", NamespaceProperty = "backup" }, Spec = new V1PersistentVolumeClaimSpec { AccessModes = [] } };
        var claimErrors = Validate(claim).Select(e => e.ToString()).ToList();
        Assert.Contains("spec.accessModes: Required value: at least 1 access mode is required", claimErrors);
        Assert.Contains("spec.resources[storage]: Required value", claimErrors);

        var configMap = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x", NamespaceProperty = "backup" }, Data = new Dictionary<string, string> { ["a/b"] = "" } };
        Assert.Contains(Validate(configMap), e => e.Field == "data[a/b]");
    }
}
