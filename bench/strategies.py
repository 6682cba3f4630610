"""The three ways of getting a host's app folder into restic that the benchmark compares.

- `tar`: the seed's stream, implemented here exactly as the old CronJob ran it:
  `ssh host "tar -cf - path" | restic backup --stdin`.
- `rsync` and `sshfs`: the runner binary, started as the CronJob starts it (`manifestgen-runner backup`
  with a JobConfig file). With BENCH_PROTOTYPE=1 the equivalent commands are run instead (for trying
  the bench before a runner exists); results say which was used.
"""
from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass

HOST_NAME = "kvm-bench"


@dataclass
class Target:
    """One (workload, link pass, strategy) combination: its own repository, cache and mirror."""
    app: str
    host_path: str
    strategy: str
    repo: str
    cache: str
    local_root: str
    password_file: str
    config_file: str

    def restic_env(self) -> dict[str, str]:
        return {"RESTIC_REPOSITORY": self.repo, "RESTIC_PASSWORD_FILE": self.password_file}


def compose_dir(t: Target, lab) -> str:
    """The app's compose folder on the lab host, outside its paths, with its one service running."""
    d = os.path.join(lab.dir, "compose-" + t.app + "-" + t.strategy)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".running"), "w") as f:
        f.write("app\n")
    return d


def job_config(t: Target, lab) -> dict:
    """The JobConfig (src/ManifestGen.Contracts/JobConfig.cs, version 1) of a backup job."""
    # Every field the contract does not declare optional is written, as the generator writes it (the
    # runner refuses a configuration that leaves one out); the values are the generator's defaults.
    return {
        "version": 1,
        "kind": "backup",
        "environment": "bench",
        "repository": {"location": t.repo, "passwordFile": t.password_file, "cacheDir": t.cache,
                       "retryLockSeconds": 30, "stallTimeoutSeconds": 300},
        "host": {"name": HOST_NAME, "address": "127.0.0.1", "port": 2222, "user": "root",
                 "identityFile": os.path.join(lab.dir, "client_key"),
                 "knownHostsFile": os.path.join(lab.dir, "known_hosts"),
                 "connectTimeoutSeconds": 15, "serverAliveIntervalSeconds": 15, "requestTimeoutSeconds": 600, "gated": False},
        "app": {"name": t.app, "paths": [t.host_path], "excludes": [], "strategy": t.strategy,
                "localRoot": t.local_root, "tags": [],
                # One compose service (the lab's stand-in) stopped as an app's would be: the summary's
                # servicesStoppedSeconds is the report's "stopped s".
                "hooks": {"before": [], "after": [], "stopServices": ["app"], "composeDirectory": compose_dir(t, lab),
                          "switchDelaySeconds": 300, "composeTimeoutSeconds": 300, "keepServicesRunning": False, "dumps": []},
                "partialIsFailure": True, "transferTimeoutSeconds": 300, "changedFileRecopies": 3,
                "changedFileIsFailure": True, "checksumIntervalDays": 7, "compressTransfer": True},
        "reporting": {},
        "terminationGracePeriodSeconds": 120,
    }


def tar_stream_script(t: Target, lab) -> str:
    """The old system's pipeline. pipefail is the bench's own addition so a broken stream is noticed."""
    ssh = " ".join(shlex.quote(a) for a in lab.ssh_cmd())
    return (f"set -o pipefail; {ssh} {shlex.quote('tar -cf - ' + shlex.quote(t.host_path))} | "
            f"restic backup --stdin --stdin-filename {shlex.quote(t.app + '.tar')} --host {HOST_NAME} "
            f"--tag app={shlex.quote(t.app)} --cache-dir {shlex.quote(t.cache)} --json")


def prototype_script(t: Target, lab) -> str:
    """What the runner's strategy does, as plain commands (used only with BENCH_PROTOTYPE=1)."""
    ssh = " ".join(shlex.quote(a) for a in lab.ssh_options())
    local = os.path.join(t.local_root, t.host_path.lstrip("/"))
    tags = f"--host {HOST_NAME} --tag app={shlex.quote(t.app)} --cache-dir {shlex.quote(t.cache)} --json"
    if t.strategy == "rsync":
        return (f"mkdir -p {shlex.quote(os.path.dirname(local))} && "
                f"rsync -aHAX --numeric-ids --delete --compress --compress-choice=zstd "
                f"-e {shlex.quote('ssh ' + ssh)} root@127.0.0.1:{shlex.quote(t.host_path)} {shlex.quote(os.path.dirname(local))}/ && "
                f"restic backup {tags} {shlex.quote(local)}")
    if t.strategy == "sshfs":
        return (f"mkdir -p {shlex.quote(local)} && "
                f"sshfs -o ro,compression=yes,ssh_command={shlex.quote('ssh ' + ssh)} "
                f"root@127.0.0.1:{shlex.quote(t.host_path)} {shlex.quote(local)} && "
                f"{{ restic backup --ignore-inode {tags} {shlex.quote(local)}; s=$?; fusermount3 -u {shlex.quote(local)}; exit $s; }}")
    raise ValueError(t.strategy)


def restic_summary(stdout: str) -> dict:
    """The last JSON summary line of `restic backup --json` or of the runner."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if obj.get("message_type") == "summary" or "snapshot" in json.dumps(obj):
            return obj
    return {}
