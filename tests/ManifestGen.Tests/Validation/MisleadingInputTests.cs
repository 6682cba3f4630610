using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;
using ManifestGen.Tests.Support;
using ManifestGen.Validation.Primitives;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

/// <summary>
/// Inventories that look right and are not: invisible and look-alike characters, YAML syntax errors,
/// quantities and timeouts that mean something else than written, excludes that take the whole app,
/// maintenance jobs that meet on the exclusive lock. Each test edits the corpus' valid inventory and
/// checks the exact report line (location, message, hint).
/// </summary>
public sealed class MisleadingInputTests
{
    private static readonly string Base = File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "cases", "base-valid.yaml"))
        .ReplaceLineEndings("\n");

    private static ImmutableArray<Diagnostic> Validate(params (string From, string To)[] edits)
    {
        var text = Base;
        foreach (var (from, to) in edits)
        {
            Assert.True(text.Split(from).Length == 2, $"expected exactly one `{from}` in base-valid.yaml");
            text = text.Replace(from, to, StringComparison.Ordinal);
        }
        using var dir = new TempDir();
        var file = dir.Write("values/prod.yaml", text);
        return ValidationHarness.Validate(file, dir.Path);
    }

    private static string Only(ImmutableArray<Diagnostic> diagnostics, string code)
    {
        var found = diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(found.Count == 1, $"expected one {code}:\n{string.Join("\n", diagnostics)}");
        return found[0].ToString();
    }

    // ---- invisible and look-alike characters ------------------------------------------------------

    [Fact]
    public void Should_name_a_zero_width_space_by_code_point_at_its_column_in_the_file()
    {
        var diagnostics = Validate(("    address: 10.40.0.11\n", "    address: 10.40.0\u200B.11\n"));
        Assert.Equal("values/prod.yaml(62,21): error MG0006: hosts[0].address: U+200B ZERO WIDTH SPACE at column 21 in the value `10.40.0<U+200B>.11` (delete the invisible character: `10.40.0.11`)",
            Only(diagnostics, "MG0006"));
        // Every other message quoting the value shows the character instead of printing a correct-looking address.
        Assert.All(diagnostics, d => Assert.DoesNotContain('\u200B', d.Message));
    }

    [Fact]
    public void Should_name_a_cyrillic_letter_in_a_latin_name_and_suggest_the_latin_name()
    {
        var diagnostics = Validate(("      - name: gitea\n", "      - name: git\u0435a\n"));
        Assert.Equal("values/prod.yaml(100,18): error MG0006: hosts[1].apps[0].name: U+0435 CYRILLIC SMALL LETTER IE (looks like Latin `e`) at column 18 in the value `git<U+0435>a` (type the Latin letter `e`: `gitea`)",
            Only(diagnostics, "MG0006"));
        // The name rule's suggestion is the Latin name, not `git-a`.
        Assert.EndsWith("(did you mean `gitea`?)", Only(diagnostics, "MG0301"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_not_offer_a_did_you_mean_that_prints_like_the_key_with_an_invisible_character()
    {
        var diagnostics = Validate(("  schedule: \"0 2 * * *\"\n", "  sche\u200Bdule: \"0 2 * * *\"\n"));
        Assert.Equal("values/prod.yaml(47,3): error MG0101: unknown key 'sche<U+200B>dule' in 'defaults' ('schedule' with U+200B ZERO WIDTH SPACE in it: type it again in plain ASCII)",
            Only(diagnostics, "MG0101"));
        Assert.Equal("values/prod.yaml(47,7): error MG0006: defaults.sche<U+200B>dule: U+200B ZERO WIDTH SPACE at column 7 in the key `sche<U+200B>dule` (delete the invisible character: `schedule`)",
            Only(diagnostics, "MG0006"));
    }

    [Fact]
    public void Should_find_the_line_and_column_of_a_character_inside_a_block_scalar()
    {
        var diagnostics = Validate(("              timeoutSeconds: 1800\n",
            "              timeoutSeconds: 1800\n            - run: |\n                echo start\n                echo\u00A0done\n"));
        Assert.Equal("values/prod.yaml(84,21): error MG0006: hosts[0].apps[0].hooks.before[1].run: U+00A0 NO-BREAK SPACE at column 21 in the value `echo start\necho<U+00A0>done\n` (type a plain space: `echo start\necho done\n`)",
            Only(diagnostics, "MG0006"));
    }

    [Fact]
    public void Should_report_a_byte_order_mark_inside_a_value_but_not_at_the_start_of_the_file()
    {
        var diagnostics = Validate(("namespace: backup\n", "namespace: backup\n"), ("    name: restic-repository\n", "    name: \uFEFFrestic-repository\n"));
        Assert.Contains("U+FEFF ZERO WIDTH NO-BREAK SPACE (byte order mark) at column 11", Only(diagnostics, "MG0006"), StringComparison.Ordinal);
        using var dir = new TempDir();
        var file = dir.Write("values/prod.yaml", "\uFEFF" + Base);
        Assert.Empty(ValidationHarness.Validate(file, dir.Path));
    }

    [Fact]
    public void Should_leave_words_of_other_languages_and_typographic_dashes_alone()
    {
        Assert.Empty(LookAlikeText.Find("echo 'Резерв – готово' && echo Sicherung überwacht"));
        Assert.Empty(LookAlikeText.Find("Ωmega"));
        var dash = Assert.Single(LookAlikeText.Find("pg_dump \u2013Fc"));
        Assert.Equal("U+2013 EN DASH (looks like Latin `-`)", dash.Describe());
        var greek = Assert.Single(LookAlikeText.Find("kvm-pr\u03BFd-02"));
        Assert.Equal((6, "o"), (greek.Index, greek.LooksLike));
        Assert.Equal("kvm-prod-02", LookAlikeText.Skeleton("kvm-pr\u03BFd-02\u200B"));
        Assert.Equal("nextcloud", KubernetesNames.Suggest("n\u0435xtcloud"));
    }

    [Fact]
    public void Should_suggest_only_what_differs_visibly()
    {
        Assert.Null(Suggestions.Closest("sche\u200Bdule", ["schedule", "timeZone"]));
        Assert.Equal("schedule", Suggestions.Closest("shedule", ["schedule", "timeZone"]));
        Assert.Equal("it contains U+200B ZERO WIDTH SPACE; without it, did you mean 'schedule'?", Suggestions.Explain("shedule\u200B", ["schedule", "timeZone"]));
        Assert.Equal("'cacheSize' with U+0430 CYRILLIC SMALL LETTER A (looks like Latin `a`) in it: type it again in plain ASCII", Suggestions.Explain("c\u0430cheSize", ["cacheSize"]));
    }

    // ---- YAML syntax errors -----------------------------------------------------------------------

    [Fact]
    public void Should_report_a_tab_in_the_indentation_at_its_line_not_at_the_start_of_the_file()
    {
        var diagnostics = Validate(("    port: 2222\n", "\tport: 2222\n"));
        Assert.Equal("values/prod.yaml(93,1): error MG0002: a tab in the indentation: YAML indents with spaces only (replace the tab with spaces, as many as the lines around it use)",
            Only(diagnostics, "MG0002"));
    }

    [Fact]
    public void Should_report_an_unclosed_quote_where_it_opens_although_the_parser_stops_fifty_lines_later()
    {
        var diagnostics = Validate(("  capacity: 2Ti\n", "  capacity: '2Ti\n"));
        Assert.Equal("values/prod.yaml(32,13): error MG0002: the single quote opened here is not closed on this line, so everything after it up to the next ' is read as one value (close it at the end of the value: '…')",
            Only(diagnostics, "MG0002"));
    }

    [Fact]
    public void Should_say_that_a_space_is_missing_after_the_colon()
    {
        var diagnostics = Validate(("  capacity: 2Ti\n", "  capacity:2Ti\n"));
        Assert.Equal("values/prod.yaml(32,12): error MG0002: no space after `capacity:`, so YAML reads `capacity:2Ti` as one word, not as a key and its value (write `capacity: 2Ti`)",
            Only(diagnostics, "MG0002"));
    }

    [Fact]
    public void Should_name_the_levels_a_badly_indented_line_falls_between()
    {
        var diagnostics = Validate(("  capacity: 2Ti\n", "   capacity: 2Ti\n"));
        Assert.Equal("values/prod.yaml(32,4): error MG0002: this line is indented by 3 spaces, between the levels of `storage:` (2 spaces, line 26) and `nfs:` (4 spaces, line 27) (indent it by 4 spaces to line it up with `nfs:`, or by 2 for a sibling of `storage:`)",
            Only(diagnostics, "MG0002"));
    }

    [Fact]
    public void Should_report_an_unclosed_bracket_at_the_bracket()
    {
        var diagnostics = Validate(("        paths: [/srv/compose/wiki]\n", "        paths: [/srv/compose/wiki\n"));
        Assert.Equal("values/prod.yaml(106,16): error MG0002: the `[` opened here is never closed (close it with `]` on the same line: `[a, b]`)",
            Only(diagnostics, "MG0002"));
    }

    [Fact]
    public void Should_say_a_list_item_needs_a_space_after_its_dash()
    {
        var diagnostics = Validate(("      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp\n",
            "      -ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp\n"));
        Assert.EndsWith("(a list item needs a space after its dash: `- ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp`)",
            Only(diagnostics, "MG0102"), StringComparison.Ordinal);
    }

    // ---- quantities and timeouts ------------------------------------------------------------------

    [Fact]
    public void Should_say_a_size_without_unit_is_bytes_and_name_the_likely_unit()
    {
        Assert.Equal("values/prod.yaml(58,15): error MG0515: defaults.mirrorSize: `5` is 5 bytes: a size without a unit counts bytes; far too small for a mirror of the app's files (did you mean `5Gi`?)",
            Only(Validate(("  mirrorSize: 50Gi\n", "  mirrorSize: 5\n")), "MG0515"));
        Assert.EndsWith("far too small for the restic cache (did you mean `500Mi`?)",
            Only(Validate(("  cacheSize: 4Gi\n", "  cacheSize: 500\n")), "MG0515"), StringComparison.Ordinal);
        Assert.EndsWith("(did you mean `2Ti`?)", Only(Validate(("  capacity: 2Ti\n", "  capacity: 2\n")), "MG0515"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_say_m_is_milli_for_memory_and_a_bare_cpu_amount_is_whole_cores()
    {
        Assert.Equal("values/prod.yaml(108,42): error MG0515: hosts[1].apps[1].resources.requests.memory: `512m` is 0.51 bytes: `m` means milli (thousandths), not mega; far too small for a container's memory (did you mean `512Mi`?)",
            Only(Validate(("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 250m, memory: 512m }")), "MG0515"));
        Assert.Equal("values/prod.yaml(108,28): error MG0515: hosts[1].apps[1].resources.requests.cpu: `250` is 250 CPU cores: a CPU amount without a unit counts whole cores (did you mean `250m` (250 millicores)?)",
            Only(Validate(("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 250, memory: 512Mi }")), "MG0515"));
        Assert.DoesNotContain(Validate(("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 1, memory: 536870912 }")), d => d.Code == "MG0515");
    }

    [Fact]
    public void Should_report_a_hook_timeout_the_job_deadline_cuts_off()
    {
        Assert.Equal("values/prod.yaml(81,31): error MG0411: hosts[0].apps[0].hooks.before[0].timeoutSeconds: the before hook may run 7200 s (2h), but the job is stopped after 7200 s (2h) (defaults.activeDeadlineSeconds): the timeout never fires (Lower the hook's `timeoutSeconds` well below the job's `activeDeadlineSeconds`, or raise the deadline.)",
            Only(Validate(("              timeoutSeconds: 1800\n", "              timeoutSeconds: 7200\n")), "MG0411"));
    }

    [Fact]
    public void Should_warn_when_hooks_and_stopping_services_add_up_to_the_deadline()
    {
        var diagnostics = Validate(("          stopServices: [gitea]\n", "          stopServices: [gitea]\n          before:\n            - run: gitea dump\n              timeoutSeconds: 6300\n"));
        Assert.Equal("values/prod.yaml(102,9): warning MG0412: hosts[1].apps[0].hooks: the hooks of kvm-prod-02/gitea may take 7200 s (2h) together (before hooks 6300 s (1h45m), stopping and starting services 900 s (15m)), not less than the job's 7200 s (2h) (defaults.activeDeadlineSeconds): no time is left for the transfer (Lower the hooks' `timeoutSeconds`, or raise `activeDeadlineSeconds` to leave room for the transfer.)",
            Only(diagnostics, "MG0412"));
    }

    // ---- excludes -----------------------------------------------------------------------------------

    [Theory]
    [InlineData("*", "/srv/compose/wiki", true)]
    [InlineData("**", "/srv/compose/wiki", true)]
    [InlineData("/", "/srv/compose/wiki", true)]
    [InlineData("/srv", "/srv/compose/wiki", true)]
    [InlineData("/srv/*", "/srv/compose/wiki", true)]
    [InlineData("/srv/compose/wiki", "/srv/compose/wiki", true)]
    [InlineData("/srv/compose/w[ik]ki", "/srv/compose/wiki", true)]
    [InlineData("wiki", "/srv/compose/wiki", true)]
    [InlineData("compose", "/srv/compose/wiki", true)]
    [InlineData("compose/wiki", "/srv/compose/wiki", true)]
    [InlineData("/srv/compose/wiki/data", "/srv/compose/wiki", false)]
    [InlineData("/srv/compose/wiki/*", "/srv/compose/wiki", false)]
    [InlineData("/compose", "/srv/compose/wiki", false)]
    [InlineData("data", "/srv/compose/wiki", false)]
    [InlineData("**/cache/**", "/srv/compose/wiki", false)]
    [InlineData("*.part", "/srv/compose/wiki", false)]
    [InlineData("!*", "/srv/compose/wiki", false)]
    [InlineData("[^w]*", "/srv/compose/wiki", true)]
    public void Should_know_when_an_exclude_takes_a_whole_path_as_restic_matches_it(string pattern, string path, bool whole) =>
        Assert.Equal(whole, ExcludePattern.ExcludesWholePath(pattern, path));

    [Fact]
    public void Should_report_an_exclude_that_empties_the_app()
    {
        Assert.Equal("values/prod.yaml(71,20): error MG0717: hosts[0].apps[0].excludes[0]: `nextcloud` excludes all of `/srv/compose/nextcloud`: without a leading `/` it is matched against every part of a path, and it matches a part of `/srv/compose/nextcloud` itself, so the app's snapshots are empty (exclude something inside it: `/srv/compose/nextcloud/nextcloud` for one place, or a name that occurs only below it)",
            Only(Validate(("excludes: [/srv/compose/nextcloud/data/*/cache, \"*.part\"]", "excludes: [nextcloud]")), "MG0717"));
    }

    // ---- maintenance against maintenance ------------------------------------------------------------

    [Fact]
    public void Should_warn_when_forget_jobs_of_different_hosts_and_prune_start_together()
    {
        // One repository for every host (no REST server): the forget jobs and the prune job share its lock.
        var diagnostics = Validate(("    schedule: \"H H(6-20) * * 0\"\n", "    schedule: \"30 4 * * 0\"\n"),
                ("  server: { htpasswdSecret: { name: restic-rest-server } }\n", ""))
            .Where(d => d.Code == "MG0413").Select(d => d.ToString()).ToList();
        Assert.Equal(
        [
            "values/prod.yaml(38,15): warning MG0413: maintenance.forget.schedule: the forget job of host kvm-prod-02 and the forget job of host kvm-prod-01 both take the exclusive lock: the forget job of host kvm-prod-01 may run Sun 2026-01-11 04:30 Europe/Berlin to Sun 2026-01-11 05:30 Europe/Berlin, the forget job of host kvm-prod-02 starts Sun 2026-01-11 04:30 Europe/Berlin, waits 300 s (repository.retryLockSeconds) for the lock and fails (Write `H` in the minute and hour of the maintenance schedules (`H H * * 0`: the planner gives each job the first hour, from the one hashed from its name, at which it meets no other), or space them further apart than their `activeDeadlineSeconds`.)",
            "values/prod.yaml(38,15): warning MG0413: maintenance.forget.schedule: the prune job and the forget job of host kvm-prod-01 both take the exclusive lock: the forget job of host kvm-prod-01 may run Sun 2026-01-11 04:30 Europe/Berlin to Sun 2026-01-11 05:30 Europe/Berlin, the prune job starts Sun 2026-01-11 04:30 Europe/Berlin, waits 300 s (repository.retryLockSeconds) for the lock and fails (1 more maintenance job also meets it: the forget job of host kvm-prod-02) (Write `H` in the minute and hour of the maintenance schedules (`H H * * 0`: the planner gives each job the first hour, from the one hashed from its name, at which it meets no other), or space them further apart than their `activeDeadlineSeconds`.)",
        ], diagnostics);
    }

    [Fact]
    public void Should_give_each_host_s_forget_job_its_own_time_with_H()
    {
        // The valid inventory writes H: each forget job and the prune job gets its own hour and minute.
        Assert.DoesNotContain(Validate(), d => d.Code == "MG0413");
        var seeds = new[] { ManifestGen.Planning.Names.MaintenanceSeed("restic", "maintain", "kvm-prod-01"), ManifestGen.Planning.Names.MaintenanceSeed("restic", "maintain", "kvm-prod-02"), ManifestGen.Planning.Names.MaintenanceSeed("restic", "prune", null) };
        var times = seeds.Select(s => ManifestGen.Planning.Schedules.Expand("H H(6-20) * * 0", s, out _)).ToList();
        Assert.Equal(3, times.Distinct().Count());
    }

    // ---- findings at the value they are about ------------------------------------------------------

    [Fact]
    public void Should_report_a_value_written_in_a_base_file_at_its_line_there_and_name_the_inheriting_environment()
    {
        using var dir = new TempDirectory();
        const string Anchor = "  activeDeadlineSeconds: 7200\n";
        dir.Write("values/_base.yaml", Base.Replace(Anchor, Anchor + "  backoffLimit: -1\n", StringComparison.Ordinal));
        var file = dir.Write("values/prod.yaml", "extends: _base.yaml\nnamespace: backup-prod\n");
        var line = Base[..Base.IndexOf(Anchor, StringComparison.Ordinal)].Count(c => c == '\n') + 2;
        var found = ValidationHarness.Validate(file, dir.Path).Where(d => d.Code == "MG0913").Select(d => d.ToString()).ToList();
        Assert.NotEmpty(found);
        Assert.All(found, d =>
        {
            Assert.StartsWith($"values/_base.yaml({line},17): error MG0913: defaults.backoffLimit: CronJob backup-", d, StringComparison.Ordinal);
            Assert.Contains("(written in values/_base.yaml, inherited by values/prod.yaml)", d, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Should_report_a_deadline_of_zero_at_the_deadline_not_at_the_app_s_hooks()
    {
        const string Deadline = "        activeDeadlineSeconds: 1800\n";
        var line = Base[..Base.IndexOf(Deadline, StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var diagnostics = Validate((Deadline, "        activeDeadlineSeconds: 0\n"));
        Assert.StartsWith($"values/prod.yaml({line},32): error MG0913: hosts[0].apps[1].activeDeadlineSeconds: CronJob backup-kvm-prod-01-vaultwarden:",
            Only(diagnostics, "MG0913"), StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostics, d => d.Code is "MG0411" or "MG0412");
    }
}
