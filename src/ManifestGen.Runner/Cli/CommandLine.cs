using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Runner.Jobs;

namespace ManifestGen.Runner.Cli;

/// <summary>The parsed command line. Small on purpose: the job configuration carries everything else.</summary>
public sealed record CommandLine
{
    public required string Command { get; init; }
    public string? ConfigFile { get; init; }
    public RestoreOptions Restore { get; init; } = new();
    public bool All { get; init; }
    public bool Json { get; init; }
    public bool Help { get; init; }
    public bool Version { get; init; }
    /// <summary>Files the drill restores and compares.</summary>
    public int Sample { get; init; } = DrillJob.DefaultSample;

    public static readonly ImmutableArray<string> Commands = ["backup", "maintain", "check", "init", "snapshots", "restore", "drill", "coverage", "copy"];

    public const string Usage = """
        usage: manifestgen-runner COMMAND [--config FILE] [options]
               manifestgen-runner --help | --version

        Commands (the job configuration comes from --config, else $MANIFESTGEN_JOB_CONFIG;
        the rendered CronJobs set the variable to /etc/manifestgen/job/job.json):
          backup      back up the app: hooks, transfer (rsync|sshfs|tar), restic backup
          maintain    unlock stale locks, forget by each retention group's policy, prune
          check       restic check (with the configured --read-data-subset; a copy's check job checks the
                      copy, reading the day's subset n/N of its packs)
          copy        restic copy of the snapshots the offsite copy does not have yet (it is initialised with
                      the primary's chunker parameters if missing; an append-only copy is probed first)
          init        initialise the repository if, and only if, it does not exist
          coverage    ask the host gate what the host runs (compose projects, mounts, databases) and
                      report what no app of the host backs up
          snapshots   list the app's snapshots        [--all] whole repository  [--json]
                      [--repository LOCATION] [--password-file FILE] another copy of the repository
                      [--from-copy NAME] the offsite copy NAME of the configuration
          drill       restore a random sample of the app's latest snapshot and compare it, byte for byte,
                      with the host's files that did not change since; fails on any difference
                        --sample N             files per run (default 20)
          restore     restore a file, folder or the whole app:
                        --snapshot ID|latest   snapshot (default: latest, dumps excluded)
                        --at TIME              the newest snapshot taken at or before TIME (ISO 8601 with offset)
                        --path HOSTPATH        file or folder to restore (repeatable; default: all app paths)
                        --target DIR           restore into DIR (DIR/<host path>) as the repository holds it
                                               (links, fifos, devices and owners in rsync's xattrs)
                        --archive DIR          write DIR/<host>-<app>-<snapshot>.tar with what the host had:
                                               types, owners, modes, devices, xattrs, hard links
                        --to-host              write back to the same paths on the host over SSH
                        --dump NAME            restore the dump NAME (hooks.dumps) instead of files: its newest
                                               snapshot, or the one --snapshot/--at picks; with --to-host,
                                               --path FILE says where below the app's paths it goes
                        --stdout               write the dump to standard output (nothing else is written)
                        --staging DIR          restore into DIR first (default: a temporary folder)
                        --repository LOCATION  another copy of the repository (default: the configuration's)
                        --password-file FILE   its password (default: the configuration's)
                        --from-copy NAME       the offsite copy NAME of the configuration (its location, password
                                               and access credential); not with --repository
                        --force                overwrite existing files (otherwise refused)

        Output: one JSON summary line on stdout (not for snapshots), progress on stderr.
        Exit codes: 0 success (also with warnings), 1 failure, 2 usage or environment error
        (e.g. restic older than 0.17), 3 partial snapshot treated as failure, 10 repository missing,
        11 repository locked, 12 wrong repository password, 130 interrupted (SIGTERM/SIGINT).
        """;

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0) throw new RunnerException(RunnerExit.Usage, "no command given");
        if (args[0] is "--help" or "-h" or "help") return new CommandLine { Command = "help", Help = true };
        if (args[0] is "--version" && args.Count == 1) return new CommandLine { Command = "version", Version = true };
        var command = args[0];
        if (!Commands.Contains(command)) throw new RunnerException(RunnerExit.Usage, $"unknown command '{command}'");
        string? config = null, snapshot = null, target = null, archive = null, dump = null, staging = null, repository = null, passwordFile = null, fromCopy = null;
        DateTimeOffset? at = null;
        bool toHost = false, force = false, all = false, json = false, help = false, toStdout = false;
        var sample = DrillJob.DefaultSample;
        var paths = ImmutableArray.CreateBuilder<string>();
        for (var i = 1; i < args.Count; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Count) throw new RunnerException(RunnerExit.Usage, $"{args[i]} needs a value");
                return args[++i];
            }
            void RestoreOnly()
            {
                if (command != "restore") throw new RunnerException(RunnerExit.Usage, $"{args[i]} is an option of `restore` only");
            }
            switch (args[i])
            {
                case "--config": config = Value(); break;
                case "--help" or "-h": help = true; break;
                case "--snapshot": RestoreOnly(); snapshot = Value(); break;
                case "--path": RestoreOnly(); paths.Add(Value()); break;
                case "--at": RestoreOnly(); at = ParseTime(Value()); break;
                case "--target": RestoreOnly(); target = Value(); break;
                case "--to-host": RestoreOnly(); toHost = true; break;
                case "--archive": RestoreOnly(); archive = Value(); break;
                case "--dump": RestoreOnly(); dump = Value(); break;
                case "--stdout": RestoreOnly(); toStdout = true; break;
                case "--staging": RestoreOnly(); staging = Value(); break;
                case "--repository" when command is "restore" or "snapshots": repository = Value(); break;
                case "--password-file" when command is "restore" or "snapshots": passwordFile = Value(); break;
                case "--force": RestoreOnly(); force = true; break;
                case "--from-copy" when command is "restore" or "snapshots": fromCopy = Value(); break;
                case "--all" when command == "snapshots": all = true; break;
                case "--sample" when command == "drill":
                    var text = Value();
                    sample = DrillSample.Parse(text) ?? throw new RunnerException(RunnerExit.Usage, DrillSample.WhyNot(text)!);
                    break;
                case "--json" when command == "snapshots": json = true; break;
                default: throw new RunnerException(RunnerExit.Usage, $"unknown option '{args[i]}' for `{command}`");
            }
        }
        return new CommandLine
        {
            Command = command,
            ConfigFile = config,
            Help = help,
            All = all,
            Json = json,
            Sample = sample,
            Restore = new RestoreOptions
            {
                Snapshot = snapshot ?? "latest",
                At = at is not null && snapshot is not null
                    ? throw new RunnerException(RunnerExit.Usage, "--snapshot and --at exclude each other")
                    : at,
                Paths = paths.ToImmutable(),
                Target = target,
                Archive = archive,
                Dump = dump,
                Stdout = toStdout,
                Staging = staging,
                Repository = repository,
                PasswordFile = passwordFile,
                FromCopy = fromCopy is not null && (repository is not null || passwordFile is not null)
                    ? throw new RunnerException(RunnerExit.Usage, "--from-copy names the copy's location and password: not with --repository or --password-file")
                    : fromCopy,
                ToHost = toHost,
                Force = force,
            },
        };
    }

    private static DateTimeOffset ParseTime(string text) =>
        RestoreTime.TryParse(text, out var at)
            ? at
            : throw new RunnerException(RunnerExit.Usage, $"--at '{text}' is not an ISO 8601 time with an offset, e.g. {RestoreTime.Example}");
}
