#!/usr/bin/env python3
"""make bench: the runner's file-level strategies (rsync, sshfs) against the seed's tar stream, on
deterministic workloads over an emulated link, and the generator at scale.

Started by bench/run.sh (which builds the binaries and sets the environment); see docs/bench.md.
Environment:
  BENCH_NAME        results name: bench/results/<name>.md, .svg, .json (default: latest)
  BENCH_SEED        workload seed (default 20261127)
  BENCH_WORKLOADS   subset, e.g. "W1,W3" (default: W1,W2,W3)
  BENCH_LINKS       subset of 1gbit,100mbit (default: both; the 1gbit pass runs first)
  BENCH_FRESH_PER_LINK  workloads that start over (first backup) at each rate (default W1; the others
                    continue on the first pass's repositories with two more incremental runs)
  BENCH_SCALE       size factor for trial runs (default 1; results say when it is not 1)
  BENCH_GEN_APPS    generator sizes (default 10,100,1000,10000; empty skips the generator)
  BENCH_RUNNER      runner binary (run.sh builds it); BENCH_PROTOTYPE=1 runs equivalent commands instead
  BENCH_GENERATOR   generator binary: the native executable (run.sh builds it with scripts/manifestgen-cached.sh)
  BENCH_GENERATOR_JIT  the framework-dependent manifestgen.dll, measured beside it (run.sh builds it)
  BENCH_GEN_REPEATS runs per generator size up to 1,000 apps and build, interleaved; medians reported (default 5)
  BENCH_NS          network namespace name
  BENCH_KEEP=1      keep bench/work/ (scratch) afterwards
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chart  # noqa: E402
import generator_bench  # noqa: E402
import report  # noqa: E402
import workloads  # noqa: E402
from lab import Lab, load_average, parse_proc_io
from timing import TIME_FORMAT, read_time  # noqa: E402
from strategies import HOST_NAME, Target, job_config, prototype_script, restic_summary, tar_stream_script  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", "work")
RESULTS = os.path.join(ROOT, "bench", "results")
STRATEGIES = ("tar", "rsync", "sshfs")
RUN_TIMEOUT = 900  # seconds; the longest run (2 GiB tar stream at 100 Mbit/s) takes about 3 minutes
MB = 1_000_000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def du(path: str) -> int:
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_size
            except FileNotFoundError:
                pass
    return total


def evict(path: str) -> None:
    """Drop a tree's pages from the page cache (after writing them back), so the next reader reads from
    disk and /proc/<pid>/io read_bytes counts what it really read. Other files stay cached."""
    os.sync()
    for d, _, files in os.walk(path):
        for f in files:
            try:
                fd = os.open(os.path.join(d, f), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def trash(path: str) -> None:
    """Moves a finished tree aside; it is deleted after the measurements (deleting 100,000 files takes
    minutes on a discard-mounted disk and would load the disk under later runs)."""
    if os.path.exists(path):
        bin_dir = os.path.join(WORK, "trash")
        os.makedirs(bin_dir, exist_ok=True)
        os.rename(path, os.path.join(bin_dir, str(len(os.listdir(bin_dir)))))


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run_cmd(cmd: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs in its own session so a timeout kills the whole tree."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        err += f"\nbench: killed after {timeout} s"
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


class Bench:
    def __init__(self) -> None:
        self.name = os.environ.get("BENCH_NAME", "latest")
        self.seed = int(os.environ.get("BENCH_SEED", "20261127"))
        self.workloads = [w for w in os.environ.get("BENCH_WORKLOADS", "W1,W2,W3").split(",") if w]
        self.links = [link for link in os.environ.get("BENCH_LINKS", "1gbit,100mbit").split(",") if link]
        self.scale = float(os.environ.get("BENCH_SCALE", "1"))
        gen_apps = os.environ.get("BENCH_GEN_APPS", "10,100,1000,10000")
        self.gen_apps = [int(x) for x in gen_apps.split(",") if x]
        self.prototype = os.environ.get("BENCH_PROTOTYPE") == "1"
        self.fresh_per_link = [w for w in os.environ.get("BENCH_FRESH_PER_LINK", "W1").split(",") if w]
        self.runner = os.environ.get("BENCH_RUNNER", "")
        self.generator = os.environ.get("BENCH_GENERATOR", "")
        self.lab = Lab(WORK, os.environ.get("BENCH_NS", f"mgbench{os.getpid()}"))
        self.password_file = os.path.join(self.lab.dir, "restic-password")
        self.runs: list[dict] = []
        self.restores: list[dict] = []
        self.generator_results: list[dict] = []
        self.hook_results: list[dict] = []
        self.failures: list[str] = []
        r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
        self.revision = r.stdout.strip() or "unknown"  # at the start: what the measured binaries were built from

    # --- workloads ----------------------------------------------------------------------------------
    def make_workload(self, name: str) -> workloads.Workload:
        root = os.path.join(WORK, "host", "srv", "compose", name.lower())
        s = self.scale
        if name == "W1":
            return workloads.ComposeApp(name, root, self.seed, source_files=max(10, int(3200 * s)),
                                        binaries_mb=tuple(max(1, int(m * s)) for m in (40, 30, 20, 12, 8)),
                                        dump_mb=max(1, int(80 * s)))
        if name == "W2":
            return workloads.SmallFiles(name, root, self.seed, files=max(1000, int(50_000 * s)))
        if name == "W3":
            return workloads.Media(name, root, self.seed, file_mb=max(1, int(128 * s)))
        raise SystemExit(f"bench: unknown workload {name}")

    def targets(self, w: workloads.Workload, link: str) -> dict[str, Target]:
        out = {}
        for strategy in STRATEGIES:
            base = os.path.join(WORK, "pod", f"{w.name}-{link}-{strategy}")
            shutil.rmtree(base, ignore_errors=True)
            t = Target(app=f"{w.name.lower()}-app", host_path=w.root, strategy=strategy,
                       repo=os.path.join(base, "repository"), cache=os.path.join(base, "cache"),
                       local_root=os.path.join(base, "mirror"), password_file=self.password_file,
                       config_file=os.path.join(base, "job.json"))
            os.makedirs(t.cache, exist_ok=True)
            os.makedirs(t.local_root, exist_ok=True)
            with open(t.config_file, "w") as f:
                json.dump(job_config(t, self.lab), f, indent=2)
            r = run_cmd(["restic", "init", "--cache-dir", t.cache], {**os.environ, **t.restic_env()}, 120)
            if r.returncode != 0:
                raise RuntimeError(f"restic init {t.repo}: {r.stderr[-500:]}")
            out[strategy] = t
        return out

    def command(self, t: Target) -> tuple[list[str], dict[str, str]]:
        env = {**os.environ, **t.restic_env()}
        if t.strategy == "tar":
            return ["bash", "-c", tar_stream_script(t, self.lab)], env
        if self.prototype:
            return ["bash", "-c", prototype_script(t, self.lab)], env
        env = dict(os.environ)
        env["MANIFESTGEN_JOB_CONFIG"] = t.config_file
        return [self.runner, "backup"], env

    # --- one measured run ---------------------------------------------------------------------------
    def measure(self, w: workloads.Workload, t: Target, link: str, step: int, kind: str) -> dict:
        cmd, env = self.command(t)
        timefile = os.path.join(WORK, "time.out")
        evict(w.root)
        repo0 = du(t.repo)
        io0 = self.lab.host_io()
        hcpu0 = self.lab.host_cpu_seconds()
        wire0 = self.lab.wire_bytes()
        load = load_average()
        t0 = time.monotonic()
        r = run_cmd(["ip", "netns", "exec", self.lab.ns, "/usr/bin/time", "-f", TIME_FORMAT, "-o", timefile, *cmd], env)
        wall = time.monotonic() - t0
        io1 = self.lab.host_io()
        hcpu1 = self.lab.host_cpu_seconds()
        wire1 = self.lab.wire_bytes()
        repo1 = du(t.repo)
        peak_kb, cpu = read_time(timefile)
        summary = restic_summary(r.stdout)
        logdir = os.path.join(WORK, "logs")
        os.makedirs(logdir, exist_ok=True)
        with open(os.path.join(logdir, f"{w.name}-{link}-{step}-{t.strategy}.log"), "w") as f:
            f.write(f"$ {' '.join(cmd)}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
        row = {
            "workload": w.name, "link": link, "step": step, "kind": kind, "strategy": t.strategy,
            "ok": r.returncode == 0, "exit": r.returncode, "wall_s": wall, "wire_bytes": wire1 - wire0,
            "host_read_bytes": io1["read_bytes"] - io0["read_bytes"], "host_rchar": io1["rchar"] - io0["rchar"],
            "repo_growth_bytes": repo1 - repo0, "repo_bytes": repo1, "peak_rss_bytes": peak_kb * 1024,
            "cpu_s": cpu, "host_cpu_s": hcpu1 - hcpu0, "load_before": load, "summary": summary,
            # The seed's tar stream stops the services around the whole stream; the runner says itself.
            "stopped_s": wall if t.strategy == "tar" else summary.get("servicesStoppedSeconds"),
        }
        if r.returncode != 0:
            msg = f"{w.name} {link} step {step} {t.strategy}: exit {r.returncode}: {r.stderr.strip()[-800:]}"
            self.failures.append(msg)
            log("FAILED " + msg)
        log(f"{w.name} {link:7} {kind:11} {t.strategy:5} wall={wall:7.2f}s wire={row['wire_bytes'] / MB:9.2f}MB "
            f"hostread={row['host_read_bytes'] / MB:8.2f}MB repo+={row['repo_growth_bytes'] / MB:8.2f}MB "
            f"peak={peak_kb / 1024:6.0f}MB cpu={cpu:6.2f}s hostcpu={hcpu1 - hcpu0:6.2f}s load={load:.1f}")
        return row

    # --- single-file restore ------------------------------------------------------------------------
    def restore(self, w: workloads.Workload, t: Target) -> dict:
        host_file = os.path.join(w.root, w.restore_file)
        size = os.path.getsize(host_file)
        want = sha256(host_file)
        env = {**os.environ, **t.restic_env()}
        sel = ["--host", HOST_NAME, "--tag", f"app={t.app}", "--cache-dir", t.cache]
        snaps = run_cmd(["restic", "snapshots", "latest", "--json", *sel], env, 120)
        snap_path = json.loads(snaps.stdout)[0]["paths"][0]
        out_dir = os.path.join(WORK, "restore", f"{w.name}-{t.strategy}")
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        iofile = os.path.join(WORK, "restore.io")
        q = _quote
        if t.strategy == "tar":
            member = w.root.lstrip("/") + "/" + w.restore_file
            restored = os.path.join(out_dir, os.path.basename(w.restore_file))
            script = (f"set -o pipefail; restic dump latest {q(snap_path)} {' '.join(q(a) for a in sel)} | "
                      f"tar -xOf - {q(member)} > {q(restored)}")
        else:
            inside = snap_path.rstrip("/") + "/" + w.restore_file
            restored = os.path.join(out_dir, inside.lstrip("/"))
            script = f"restic restore latest {' '.join(q(a) for a in sel)} --include {q(inside)} --target {q(out_dir)}"
        # The wrapping shell reaps restic, so its own /proc io then includes restic's (and tar's) reads.
        wrapper = f"{script}; s=$?; cat /proc/$$/io > {q(iofile)}; exit $s"
        evict(t.repo)
        t0 = time.monotonic()
        r = run_cmd(["bash", "-c", wrapper], env, RUN_TIMEOUT)
        wall = time.monotonic() - t0
        with open(iofile) as f:
            io = parse_proc_io(f.read())
        ok = r.returncode == 0 and os.path.exists(restored) and sha256(restored) == want
        if not ok:
            msg = f"{w.name} restore {t.strategy}: exit {r.returncode}, content matches: {ok}: {r.stderr.strip()[-500:]}"
            self.failures.append(msg)
            log("FAILED " + msg)
        shutil.rmtree(out_dir, ignore_errors=True)
        row = {"workload": w.name, "strategy": t.strategy, "file": w.restore_file, "file_bytes": size,
               "ok": ok, "wall_s": wall, "repo_read_bytes": io["read_bytes"], "rchar": io["rchar"],
               "repo_bytes": du(t.repo)}
        log(f"{w.name} restore {t.strategy:5} {w.restore_file} ({size / MB:.1f} MB): wall={wall:.2f}s "
            f"read={io['read_bytes'] / MB:.2f}MB ({io['read_bytes'] / size:.2f}x) ok={ok}")
        return row

    # --- the whole workload -------------------------------------------------------------------------
    def run_workload(self, w: workloads.Workload) -> None:
        t0 = time.monotonic()
        w.materialise(0)
        log(f"{w.name}: {w.description}: {w.total_bytes() / MB:.0f} MB in {w.file_count():,} files "
            f"(generated in {time.monotonic() - t0:.1f} s)")
        w_info = {"description": w.description, "bytes": w.total_bytes(), "files": w.file_count(),
                  "restore_file": w.restore_file}
        self.workload_info[w.name] = w_info
        targets: dict[str, Target] = {}
        step = 0
        for i, link in enumerate(self.links):
            self.lab.set_link(link)
            # Only W1 (the headline workload) starts over at each rate. W2 and W3 continue on the first
            # pass's repositories with two more incremental runs: their first backups at the slower rate
            # (50,000 files through sshfs; 2 GiB at 100 Mbit/s) would take most of the time budget and
            # measure no goal.
            fresh = i == 0 or w.name in self.fresh_per_link
            if fresh:
                for t in targets.values():
                    trash(os.path.dirname(t.repo))
                targets = self.targets(w, link)
                w.materialise(0)
                steps = [0, 1, 2]
            else:
                steps = [step + 1, step + 2]
            for step in steps:
                w.materialise(step)
                kind = "first" if step == 0 else "incremental"
                for strategy in STRATEGIES:
                    self.runs.append(self.measure(w, targets[strategy], link, step, kind))
            if i == 0:
                for strategy in STRATEGIES:
                    self.restores.append(self.restore(w, targets[strategy]))
        for t in targets.values():
            trash(os.path.dirname(t.repo))
        trash(w.root)

    # --- everything ---------------------------------------------------------------------------------
    def environment(self) -> dict:
        def first_line(cmd: list[str]) -> str:
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
            except Exception as e:  # noqa: BLE001 - a missing tool is reported, not fatal
                return f"unavailable ({e})"
        cpu = "unknown"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
        os_name = "Linux"
        if os.path.exists("/etc/os-release"):
            with open("/etc/os-release") as f:
                for line in f:
                    if line.startswith("PRETTY_NAME="):
                        os_name = line.split("=", 1)[1].strip().strip('"')
        return {
            "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "os": os_name,
            "restic": first_line(["restic", "version"]),
            "rsync": first_line(["rsync", "--version"]),
            "ssh": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
            "sshfs": first_line(["sshfs", "--version"]),
            "dotnet": first_line(["dotnet", "--version"]),
            "python": platform.python_version(),
            "file_level": "prototype commands (BENCH_PROTOTYPE=1)" if self.prototype else "manifestgen-runner backup",
            "git": self.revision,
        }

    def main(self) -> int:
        started = time.monotonic()
        started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.workload_info: dict[str, dict] = {}
        if not self.prototype and not (self.runner and os.access(self.runner, os.X_OK)):
            raise SystemExit("bench: BENCH_RUNNER is not an executable runner binary (run via `make bench`)")
        os.makedirs(WORK, exist_ok=True)
        self.lab.start()
        with open(self.password_file, "w") as f:
            f.write(hashlib.sha256(os.urandom(32)).hexdigest() + "\n")
        os.chmod(self.password_file, 0o400)
        for name in self.workloads:
            self.run_workload(self.make_workload(name))
        self.lab.close()
        if self.gen_apps:
            commands = generator_bench.commands_from_env()
            self.generator_results = generator_bench.run(commands, self.gen_apps, os.path.join(WORK, "gen"), log)
            self.hook_results = generator_bench.hook(generator_bench.ROOT, commands.get("aot"), log)
        log("measurements done; removing scratch data")
        elapsed = time.monotonic() - started
        data = {
            "name": self.name, "started": started_at, "elapsed_s": elapsed, "seed": self.seed,
            "scale": self.scale, "links": self.links, "fresh_per_link": self.fresh_per_link, "environment": self.environment(),
            "workloads": self.workload_info, "runs": self.runs, "restores": self.restores,
            "generator": self.generator_results, "hook": self.hook_results, "failures": self.failures,
        }
        os.makedirs(RESULTS, exist_ok=True)
        self.failures += [f"generator {g['apps']} apps: {g.get('error', '')}" for g in self.generator_results
                          if not g.get("ok")]
        lines = report.summary_lines(data)
        data["summary_lines"] = lines
        with open(os.path.join(RESULTS, f"{self.name}.json"), "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        chart.write(data, os.path.join(RESULTS, f"{self.name}.svg"))
        with open(os.path.join(RESULTS, f"{self.name}.md"), "w") as f:
            f.write(report.markdown(data))
        print(f"bench: results in bench/results/{self.name}.md (chart {self.name}.svg, raw {self.name}.json); "
              f"{len(self.failures)} failure(s); {elapsed / 60:.1f} min")
        for line in lines:
            print(line)
        return 1 if self.failures else 0

    def close(self) -> None:
        self.lab.close()
        if os.environ.get("BENCH_KEEP") != "1":
            for sub in ("host", "pod", "restore", "gen", "lab", "logs", "trash", "time.out", "restore.io"):
                p = os.path.join(WORK, sub)
                if os.path.isdir(p):
                    shutil.rmtree(p, ignore_errors=True)
                elif os.path.exists(p):
                    os.remove(p)


def _quote(s: str) -> str:
    import shlex
    return shlex.quote(s)


def _interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    bench = Bench()
    try:
        code = bench.main()
    except KeyboardInterrupt as e:
        log(f"bench: interrupted ({e}); cleaning up")
        code = 130
    finally:
        bench.close()
    sys.exit(code)
