using ManifestGen.Diagnostics;
using ManifestGen.Rendering;

namespace ManifestGen.Tests.Rendering;

public sealed class CrossObjectCheckTests
{
    private const string Volume = """
        apiVersion: v1
        kind: PersistentVolume
        metadata: { name: pv }
        spec:
          capacity: { storage: 10Gi }
          storageClassName: static
          accessModes: [ReadWriteMany]
          claimRef: { namespace: ns, name: claim }
          nfs: { server: nas, path: /export/restic }
        """;

    private const string Claim = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: { name: claim, namespace: ns }
        spec:
          storageClassName: static
          accessModes: [ReadWriteMany]
          resources: { requests: { storage: 10Gi } }
          volumeName: pv
        """;

    private static List<Diagnostic> Check(params string[] documents)
    {
        var placed = documents
            .Select(d => ObjectReader.Read(d, "templates/t.sbn", []) ?? throw new InvalidOperationException("invalid test document"))
            .Select(o => new PlacedObject(o, new SourceSpan("values/x.yaml", 1, 1)))
            .ToList();
        return [.. CrossObjectChecks.Check(placed)];
    }

    [Fact]
    public void Should_accept_a_volume_and_claim_bound_both_ways() => Assert.Empty(Check(Volume, Claim));

    [Theory]
    [InlineData("  storageClassName: static\n  accessModes", "  storageClassName: other\n  accessModes", "storageClassName")]
    [InlineData("  storageClassName: static\n  accessModes", "  accessModes", "storageClassName")]
    [InlineData("storage: 10Gi } }", "storage: 11Gi } }", "requests 11Gi")]
    [InlineData("[ReadWriteMany]", "[ReadWriteOnce]", "access modes ReadWriteOnce")]
    [InlineData("volumeName: pv", "volumeName: other", "not rendered")]
    public void Should_report_a_claim_that_disagrees_with_its_volume(string from, string to, string expected)
    {
        var diagnostics = Check(Volume, Claim.Replace(from, to));
        Assert.Contains(diagnostics, d => d.Code == "MG0903" && d.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1024 * 1024 - 8, false)]
    [InlineData(1024 * 1024 - 7, true)]
    public void Should_report_a_config_map_whose_data_exceeds_one_mebibyte(int valueLength, bool reported)
    {
        // key "job.json" (8 bytes) plus the value: at most 1,048,576 bytes in all.
        var configMap = $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: big, namespace: ns }}\ndata:\n  job.json: \"{new string('x', valueLength)}\"\n";
        var diagnostics = Check(configMap);
        if (reported)
            Assert.Contains(diagnostics, d => d.Code == "MG0911" && d.Message.Contains("'big'", StringComparison.Ordinal)
                && d.Message.Contains("1048577 bytes", StringComparison.Ordinal));
        else
            Assert.DoesNotContain(diagnostics, d => d.Code == "MG0911");
    }

    [Fact]
    public void Should_report_a_volume_whose_claimRef_points_elsewhere() =>
        Assert.Contains(Check(Volume.Replace("name: claim }", "name: nope }"), Claim), d => d.Code == "MG0903" && d.Message.Contains("claimRef"));

    [Fact]
    public void Should_report_mounts_of_objects_that_are_not_rendered_and_long_cronjob_names()
    {
        var cronJob = """
            apiVersion: batch/v1
            kind: CronJob
            metadata: { name: backup-a-host-with-a-long-name-and-an-app-with-a-longer-one, namespace: ns }
            spec:
              schedule: "1 2 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers:
                        - name: c
                          image: i
                          volumeMounts: [{ name: cfg, mountPath: /c }, { name: nowhere, mountPath: /n }]
                      volumes:
                        - name: cfg
                          configMap: { name: missing-config }
                        - name: data
                          persistentVolumeClaim: { claimName: missing-claim }
            """;
        var diagnostics = Check(cronJob);
        Assert.Contains(diagnostics, d => d.Code == "MG0905");
        Assert.Contains(diagnostics, d => d.Code == "MG0904" && d.Message.Contains("missing-config"));
        Assert.Contains(diagnostics, d => d.Code == "MG0904" && d.Message.Contains("missing-claim"));
        Assert.Contains(diagnostics, d => d.Code == "MG0904" && d.Message.Contains("'nowhere'"));
    }

    [Theory]
    [InlineData("host: ${NAS_HOST}\n", "MG0906")]
    [InlineData("password: CHANGEME\n", "MG0906")]
    [InlineData("server: <NAS_ADDRESS>\n", "MG0906")]
    [InlineData("key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n", "MG0907")]
    [InlineData("marker: XXX-FILL\n", "MG0906")]
    public void Should_find_placeholders_and_private_keys_in_rendered_text(string text, string code)
    {
        var diagnostics = CrossObjectChecks.CheckText(text, "out/x.yaml", new SourceSpan("values/x.yaml", 3, 1), ["XXX-FILL"]).ToList();
        Assert.Contains(diagnostics, d => d.Code == code && d.Location.Line == 3);
    }

    [Fact]
    public void Should_not_flag_ordinary_text() =>
        Assert.Empty(CrossObjectChecks.CheckText("name: backup\nrun: docker compose stop app\n", "out/x.yaml", new SourceSpan("v", 1, 1), []));
}
