using ManifestGen.Contracts;
using System.Diagnostics;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Tests.Validation;

internal static class AssertReason
{
    /// <summary>A checker returns null for valid input, otherwise a reason; <paramref name="expected"/> null means valid.</summary>
    public static void Is(string? expected, string? actual)
    {
        if (expected is null) Assert.Null(actual);
        else Assert.Contains(expected, actual);
    }
}

public sealed class PlaceholderTests
{
    [Theory]
    [InlineData("${NFS_SERVER}", "${NFS_SERVER}")]
    [InlineData("nas-{{ .Values.server }}", "{{ .Values.server }}")]
    [InlineData("<HOST_KEY>", "<HOST_KEY>")]
    [InlineData("CHANGEME", "CHANGEME")]
    [InlineData("password-changeme", "changeme")]
    [InlineData("REPLACE_ME", "REPLACE_ME")]
    [InlineData("pg_dump app > /srv/TODO.sql", "TODO")]
    [InlineData("ssh-ed25519 ${HOST_KEY}", "${HOST_KEY}")]
    public void Should_find_placeholders(string value, string expected)
    {
        Assert.Equal(expected, Assert.Single(Placeholders.Find(value)).Text);
    }

    [Theory]
    [InlineData("/srv/todo-app/data")]
    [InlineData("nas.example.org")]
    [InlineData("pg_dump -U app app > /srv/app/dump.sql")]
    [InlineData("psql < /srv/dump.sql")]
    [InlineData("$HOME/x")]
    [InlineData("exchange-meta")]
    public void Should_not_flag_ordinary_values(string value)
    {
        Assert.Empty(Placeholders.Find(value));
    }

    [Fact]
    public void Should_find_words_the_inventory_adds_as_whole_words()
    {
        Assert.Single(Placeholders.Find("server: XXX-NAS", ["XXX"]));
        Assert.Empty(Placeholders.Find("server: XXXL", ["XXX"]));
    }
}

public sealed class KubernetesNameTests
{
    [Theory]
    [InlineData("nextcloud", null)]
    [InlineData("a1-b2", null)]
    [InlineData("Nextcloud", "upper-case")]
    [InlineData("next_cloud", "only lower-case")]
    [InlineData("-app", "start and end")]
    [InlineData("", "empty")]
    public void Should_check_dns_1123_labels(string name, string? reason)
    {
        AssertReason.Is(reason, KubernetesNames.WhyNotLabel(name));
    }

    [Fact]
    public void Should_limit_cronjob_names_to_52()
    {
        Assert.Null(KubernetesNames.WhyNotLabel(new string('a', 52), KubernetesNames.CronJobMaxLength));
        Assert.Contains("at most 52", KubernetesNames.WhyNotLabel(new string('a', 53), KubernetesNames.CronJobMaxLength));
    }

    [Fact]
    public void Should_check_label_values_and_subdomains()
    {
        Assert.Null(KubernetesNames.WhyNotLabelValue("v1.2_x-y"));
        Assert.Null(KubernetesNames.WhyNotLabelValue(""));
        Assert.NotNull(KubernetesNames.WhyNotLabelValue(new string('a', 64)));
        Assert.NotNull(KubernetesNames.WhyNotLabelValue("a/b"));
        Assert.Null(KubernetesNames.WhyNotSubdomain("restic.backup.example"));
        Assert.NotNull(KubernetesNames.WhyNotSubdomain("restic..backup"));
        Assert.Equal("nextcloud-db", KubernetesNames.Suggest("Nextcloud_DB"));
    }
}

public sealed class QuantityTests
{
    [Theory]
    [InlineData("10Gi", 10L * 1024 * 1024 * 1024)]
    [InlineData("500M", 500_000_000L)]
    [InlineData("1.5Ki", 1536L)]
    [InlineData("1e3", 1000L)]
    [InlineData("128974848", 128974848L)]
    public void Should_parse_kubernetes_quantities(string text, long bytes)
    {
        Assert.True(Quantity.TryParse(text, out var q, out _));
        Assert.Equal(bytes, q!.Value);
    }

    [Theory]
    [InlineData("10GB", "not a Kubernetes suffix")]
    [InlineData("10gi", "not a Kubernetes suffix")]
    [InlineData("10 Gi", "not a Kubernetes suffix")]
    [InlineData("ten", "not a number")]
    [InlineData(" 5Gi", "spaces")]
    public void Should_reject_invalid_units_with_a_reason(string text, string reason)
    {
        Assert.False(Quantity.TryParse(text, out _, out var why));
        Assert.Contains(reason, why);
    }

    [Fact]
    public void Should_compare_across_units()
    {
        Quantity.TryParse("10G", out var decimalTen, out _);
        Quantity.TryParse("10Gi", out var binaryTen, out _);
        Assert.True(binaryTen!.Value > decimalTen!.Value);
        Assert.True(decimalTen.DecimalSuffix);
        Assert.Equal("9.31 Gi", Quantity.Describe(decimalTen.Value));
    }
}

public sealed class SshPublicKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mg-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Generate(string type, int bits = 0)
    {
        var file = Path.Combine(_dir, type + bits);
        var start = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-q", "-t", type, "-N", "", "-C", "test-key", "-f", file])
            start.ArgumentList.Add(a);
        if (bits > 0) { start.ArgumentList.Add("-b"); start.ArgumentList.Add(bits.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        using var process = Process.Start(start)!;
        Assert.True(process.WaitForExit(30_000), "ssh-keygen did not finish");
        Assert.Equal(0, process.ExitCode);
        return File.ReadAllText(file + ".pub").Trim();
    }

    [Theory]
    [InlineData("ed25519", 0, 256)]
    [InlineData("ecdsa", 384, 384)]
    [InlineData("rsa", 3072, 3072)]
    public void I_can_pin_a_real_host_key(string type, int bits, int expectedBits)
    {
        var line = Generate(type, bits);
        Assert.True(SshPublicKey.TryParse(line, out var key, out var why), why);
        Assert.Equal(expectedBits, key!.Bits);
        Assert.Equal("test-key", key.Comment);
        Assert.False(key.IsWeak);
    }

    [Fact]
    public void Should_call_a_short_rsa_key_weak()
    {
        Assert.True(SshPublicKey.TryParse(Generate("rsa", 1024), out var key, out _));
        Assert.True(key!.IsWeak);
    }

    [Fact]
    public void Should_reject_a_key_whose_blob_says_another_type()
    {
        var ed = Generate("ed25519").Split(' ');
        Assert.False(SshPublicKey.TryParse("ssh-rsa " + ed[1], out _, out var why));
        Assert.Contains("`ssh-ed25519` key", why);
    }

    [Fact]
    public void Should_reject_truncated_garbage_and_host_prefixed_keys()
    {
        var ed = Generate("ed25519").Split(' ');
        Assert.False(SshPublicKey.TryParse("ssh-ed25519 " + ed[1][..40], out _, out _));
        Assert.False(SshPublicKey.TryParse("ssh-ed25519 not-base64!", out _, out var garbage));
        Assert.Contains("base64", garbage);
        Assert.False(SshPublicKey.TryParse("kvm1.example.org ssh-ed25519 " + ed[1], out _, out var prefixed));
        Assert.Contains("without a host name", prefixed);
        Assert.False(SshPublicKey.TryParse("AAAAC3NzaC1lZDI1NTE5", out _, out _));
    }
}

public sealed class SecretScannerTests
{
    [Theory]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", SecretKind.PrivateKey)]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----", SecretKind.PrivateKey)]
    [InlineData("-----BEGIN PRIVATE KEY-----", SecretKind.PrivateKey)]
    [InlineData("PuTTY-User-Key-File-3: ssh-ed25519", SecretKind.PrivateKey)]
    [InlineData("mysqldump -u root -pS3cret app", SecretKind.LiteralPassword)]
    [InlineData("PGPASSWORD=hunter2 pg_dump app", SecretKind.LiteralPassword)]
    [InlineData("pg_dump --password=hunter2 app", SecretKind.LiteralPassword)]
    [InlineData("https://user:hunter2@git.example.org/repo.git", SecretKind.LiteralPassword)]
    [InlineData("sshpass -p hunter2 ssh host", SecretKind.LiteralPassword)]
    [InlineData("AKIAABCDEFGHIJKLMNOP", SecretKind.LiteralPassword)]
    public void Should_find_credentials(string value, SecretKind kind)
    {
        Assert.Contains(SecretScanner.Find(value), m => m.Kind == kind);
    }

    [Theory]
    [InlineData("mysqldump -u backup -p\"$MYSQL_PASSWORD\" app")]
    [InlineData("PGPASSWORD=$(cat /run/secrets/db) pg_dump app")]
    [InlineData("mysqldump --defaults-extra-file=/etc/backup.cnf app")]
    [InlineData("https://git.example.org/repo.git")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAkAKqI0Af914ahqCN2J9epIEahR1 host")]
    [InlineData("-----BEGIN PUBLIC KEY-----")]
    [InlineData("docker compose -p nextcloud stop")]
    public void Should_not_flag_references_to_credentials(string value)
    {
        Assert.Empty(SecretScanner.Find(value));
    }
}

public sealed class PathAndPatternTests
{
    [Theory]
    [InlineData("/srv/app", null)]
    [InlineData("/", null)]
    [InlineData("srv/app", "not absolute")]
    [InlineData("/srv/../etc", "'..'")]
    [InlineData("/srv/./app", "'.'")]
    [InlineData("/srv//app", "'//'")]
    [InlineData("/srv/app/", "ends with")]
    [InlineData("", "empty")]
    public void Should_require_absolute_normalised_paths(string path, string? reason)
    {
        AssertReason.Is(reason, PosixPath.WhyNotAbsoluteNormalised(path));
    }

    [Fact]
    public void Should_tell_nested_from_merely_similar_paths()
    {
        Assert.True(PosixPath.Overlap("/export/backup", "/export/backup/restic"));
        Assert.True(PosixPath.Overlap("/export/a", "/export/a"));
        Assert.False(PosixPath.Overlap("/export/a", "/export/ab"));
        Assert.True(PosixPath.IsSameOrUnder("/export/backup/restic", "/export"));
        Assert.False(PosixPath.IsSameOrUnder("/exports/x", "/export"));
        Assert.Equal("/srv/data", PosixPath.Normalise("/srv/app/../data/"));
    }

    [Theory]
    [InlineData("*.tmp", null)]
    [InlineData("**/cache", null)]
    [InlineData("!keep.log", null)]
    [InlineData("[a-z]*.log", null)]
    [InlineData("file\\[1\\]", null)]
    [InlineData("[abc", "not closed")]
    [InlineData("[]", "empty")]
    [InlineData("[z-a]", "reversed")]
    [InlineData("trailing\\", "backslash")]
    [InlineData("", "empty")]
    [InlineData("!", "followed")]
    public void Should_check_exclude_patterns(string pattern, string? reason)
    {
        AssertReason.Is(reason, ExcludePattern.WhyInvalid(pattern));
    }

    [Theory]
    [InlineData("nfsvers=4.1", true)]
    [InlineData("hard", true)]
    [InlineData("noatime", true)]
    [InlineData("rsize=1048576", true)]
    [InlineData("soft", false)]
    [InlineData("nfsvers=5", false)]
    [InlineData("rsize", false)]
    [InlineData("exec", false)]
    public void Should_allow_only_known_nfs_mount_options(string option, bool allowed)
    {
        Assert.Equal(allowed, NfsMountOptions.WhyNotAllowed(option) is null);
    }

    [Theory]
    [InlineData("1/7", null)]
    [InlineData("7/7", null)]
    [InlineData("5%", null)]
    [InlineData("2.5%", null)]
    [InlineData("500M", null)]
    [InlineData("2G", null)]
    [InlineData("0/7", "between 1")]
    [InlineData("8/7", "between 1")]
    [InlineData("1/0", "at least 1")]
    [InlineData("0%", "above 0%")]
    [InlineData("150%", "at most 100%")]
    [InlineData("1/x", "whole numbers")]
    [InlineData("lots", "expected")]
    [InlineData("0", "positive")]
    public void Should_check_restic_read_data_subsets(string subset, string? reason)
    {
        AssertReason.Is(reason, ResticSyntax.WhyNotReadDataSubset(subset));
    }

    [Theory]
    [InlineData("30d", true)]
    [InlineData("1y6m", true)]
    [InlineData("2w3d12h", true)]
    [InlineData("30 days", false)]
    [InlineData("1.5y", false)]
    public void Should_check_restic_durations(string duration, bool valid)
    {
        Assert.Equal(valid, ResticSyntax.WhyNotDuration(duration) is null);
    }
}

public sealed class ImageReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("restic/restic:0.18.0", null, "restic/restic", "0.18.0", null)]
    [InlineData("registry.example.org:5000/backup/runner:1.4.2", "registry.example.org:5000", "backup/runner", "1.4.2", null)]
    [InlineData("localhost/runner", "localhost", "runner", null, null)]
    [InlineData("ghcr.io/org/runner:1.0@" + Digest, "ghcr.io", "org/runner", "1.0", Digest)]
    [InlineData("runner@" + Digest, null, "runner", null, Digest)]
    public void I_can_parse_image_references(string text, string? registry, string repository, string? tag, string? digest)
    {
        Assert.True(ImageReference.TryParse(text, out var image, out var why), why);
        Assert.Equal(new ImageReference(registry, repository, tag, digest), image);
    }

    [Theory]
    [InlineData("Runner:1.0", "repository")]
    [InlineData("runner:-bad", "tag")]
    [InlineData("runner@sha256:abc", "digest")]
    [InlineData("run ner", "spaces")]
    [InlineData("", "empty")]
    public void Should_reject_invalid_image_references(string text, string reason)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var why));
        Assert.Contains(reason, why);
    }
}
