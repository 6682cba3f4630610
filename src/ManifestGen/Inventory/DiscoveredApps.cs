using System.Globalization;
using System.Text;
using ManifestGen.Contracts;

namespace ManifestGen.Inventory;

/// <summary>
/// `manifestgen discover`: inventory entries for what a coverage report found uncovered, in the inventory's
/// own YAML: an app for each compose project without one (its folder and the mounts outside it, its compose
/// folder, the services that write data to stop, a dump for each database container), and for a covered
/// project, commented lines of what to add to its app. Pure; the same bytes for the same report.
/// </summary>
public static class DiscoveredApps
{
    public static string Entries(CoverageReport report)
    {
        var sb = new StringBuilder();
        sb.Append("# Inventory entries for what the coverage job found on host ").Append(report.Host)
          .Append(" (paste under the host's `apps:`, then run `manifestgen validate`).\n");
        if (report.Findings.IsEmpty)
            return sb.Append("# Nothing uncovered: every compose project, mount and database has an app that backs it up.\n").ToString();
        foreach (var finding in report.Findings.Where(f => f.Kind == CoverageFindingKind.ProjectWithoutApp))
            if (report.Discovery.Projects.FirstOrDefault(p => p.Name == finding.Project) is { } project)
                App(sb, project);
        foreach (var group in report.Findings.Where(f => f.Kind != CoverageFindingKind.ProjectWithoutApp).GroupBy(f => string.Join(", ", f.Apps)))
        {
            sb.Append("# app ").Append(group.Key).Append(":\n");
            foreach (var f in group)
            {
                switch (f.Kind)
                {
                    case CoverageFindingKind.MountNotBackedUp:
                        sb.Append("#   add to paths: ").Append(f.Path).Append(f.Volume is null ? "" : $"  (volume {f.Volume})").Append('\n');
                        break;
                    case CoverageFindingKind.MountExcluded:
                        sb.Append("#   remove from excludes: ").Append(f.Exclude).Append("  (it leaves out ").Append(f.Path).Append(")\n");
                        break;
                    case CoverageFindingKind.DatabaseWithoutDump:
                        var project = report.Discovery.Projects.FirstOrDefault(p => p.Name == f.Project);
                        if (project is not null && DumpCommand(project, f.Service!, f.Database!) is { } command)
                            sb.Append("#   add to hooks.dumps: { name: ").Append(f.Service).Append(", command: ").Append(Quote(command))
                              .Append(", fileName: ").Append(f.Service).Append(DumpExtension(f.Database!)).Append(" }\n");
                        else
                            sb.Append("#   ").Append(f.Database).Append(" service ").Append(f.Service).Append(": add a dump hook (hooks.dumps)\n");
                        break;
                }
            }
        }
        return sb.ToString();
    }

    private static void App(StringBuilder sb, DiscoveredProject project)
    {
        var folder = project.Folder;
        var mounts = project.Containers.SelectMany(c => CoverageAnalysis.DataMounts(c)).ToList();
        // The project's folder, then every mount outside it, each once, outermost only.
        var candidates = (folder is null ? [] : new[] { folder }).Concat(mounts.Select(m => m.Source)).Distinct(StringComparer.Ordinal).ToList();
        var paths = candidates.Where(p => !candidates.Any(q => q != p && CoverageAnalysis.Contains(q, p))).Order(StringComparer.Ordinal).ToList();
        var databases = project.Containers.Where(c => CoverageAnalysis.DatabaseOf(c.Image) is not null).ToList();
        // Services that write data are stopped for the copy; a database is dumped instead, so it keeps running.
        var stop = project.Containers.Where(c => CoverageAnalysis.DatabaseOf(c.Image) is null && CoverageAnalysis.DataMounts(c).Any(m => !m.ReadOnly))
            .Select(c => c.Service).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        sb.Append("# compose project ").Append(project.Name).Append(" (").Append(project.Status.Length == 0 ? "status unknown" : project.Status).Append("): ")
          .Append(string.Join(", ", project.Containers.Select(c => $"{c.Service} ({c.Image}{(c.Running ? "" : ", not running")})"))).Append('\n');
        foreach (var m in mounts.Where(m => m.Name is not null).DistinctBy(m => m.Source))
            sb.Append("# volume ").Append(m.Name).Append(" lies in ").Append(m.Source)
              .Append(": the gate's user reads it only when it may (Docker keeps /var/lib/docker/volumes root's)\n");
        sb.Append("- name: ").Append(AppName(project.Name)).Append('\n');
        sb.Append("  paths:\n");
        foreach (var p in paths) sb.Append("    - ").Append(Quote(p)).Append('\n');
        if (folder is null) return;
        sb.Append("  hooks:\n");
        sb.Append("    composeDirectory: ").Append(Quote(folder)).Append('\n');
        if (stop.Count > 0) sb.Append("    stopServices: [").Append(string.Join(", ", stop.Select(Quote))).Append("]\n");
        var dumps = databases.Select(c => (c, Command: DumpCommand(project, c.Service, CoverageAnalysis.DatabaseOf(c.Image)!))).Where(d => d.Command is not null).ToList();
        if (dumps.Count > 0)
        {
            sb.Append("    dumps:\n");
            foreach (var (c, command) in dumps)
            {
                sb.Append("      - name: ").Append(Quote(c.Service)).Append('\n');
                sb.Append("        command: ").Append(Quote(command!)).Append('\n');
                sb.Append("        fileName: ").Append(Quote(c.Service + DumpExtension(CoverageAnalysis.DatabaseOf(c.Image)!))).Append('\n');
            }
        }
        foreach (var c in databases.Where(c => dumps.All(d => d.c != c)))
            sb.Append("    # ").Append(CoverageAnalysis.DatabaseOf(c.Image)).Append(" service ").Append(c.Service)
              .Append(": its files are copied as they are; add a dump if it must restore consistently\n");
    }

    /// <summary>
    /// The dump line for a database service, run by the gate as listed: `docker compose exec -T` in the
    /// container, credentials from the container's own environment (never on a command line); null where
    /// no dump to stdout is standard (redis: its files are its snapshot).
    /// </summary>
    public static string? DumpCommand(DiscoveredProject project, string service, string database)
    {
        var compose = "docker compose" + string.Concat(project.ConfigFiles.Select(f => " -f " + f)) + " exec -T " + service;
        return database switch
        {
            "postgres" => compose + " sh -c 'pg_dumpall --clean --if-exists -U \"${POSTGRES_USER:-postgres}\"'",
            "mariadb" => compose + " sh -c 'MYSQL_PWD=\"${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}\" mariadb-dump --all-databases --single-transaction -uroot'",
            "mysql" => compose + " sh -c 'MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysqldump --all-databases --single-transaction -uroot'",
            "mongodb" => compose + " mongodump --archive --quiet",
            _ => null,
        };
    }

    private static string DumpExtension(string database) => database == "mongodb" ? ".archive" : ".sql";

    /// <summary>A DNS-1123 app name from a compose project's name (compose allows `_`, an app name does not).</summary>
    public static string AppName(string project)
    {
        var name = new string([.. project.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-')]).Trim('-');
        return name.Length == 0 ? "app" : name;
    }

    /// <summary>Plain where YAML reads the text back as the same string, else quoted as the templates quote (a JSON string literal).</summary>
    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-') && !value.StartsWith('-') && !IsYamlKeyword(value)
            ? value
            : Rendering.TemplateRenderer.Quote(value);

    private static bool IsYamlKeyword(string v) =>
        v.ToLowerInvariant() is "y" or "n" or "yes" or "no" or "on" or "off" or "true" or "false" or "null" or "~" ||
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
