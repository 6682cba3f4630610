"""Turns the raw measurements into the summary lines and bench/results/<name>.md."""
from __future__ import annotations

from statistics import mean

MB = 1_000_000
FILE_LEVEL = ("rsync", "sshfs")

# Goals of the benchmark issue.
W1_WIRE_MAX = 0.02
W1_WALL_MAX = 0.15
W3_WALL_MAX = 0.05
RESTORE_READ_MAX = 2.0
GEN_1000_WALL_MAX = 1.5
GEN_1000_PEAK_MAX = 150 * 1024 * 1024
GEN_SCALING_MAX = 12.0
GEN_10000_WALL_MAX = 12.0
# The pre-commit path: `manifestgen check` of the example inventory with the native build, warm.
CHECK_NAME = "check example inventory"
CHECK_WALL_MAX = 0.3


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _fmt_ratio(x: float | None, digits: int) -> str:
    if x is None:
        return "n/a"
    if digits == 2 and x < 0.1:
        digits = 3
    return f"{x:.{digits}f}"


def incremental(data: dict, workload: str, link: str) -> dict[str, dict[str, float]]:
    """Mean of the incremental runs per strategy (only strategies whose runs all succeeded)."""
    out: dict[str, dict[str, float]] = {}
    for s in ("tar", *FILE_LEVEL):
        rows = [r for r in data["runs"] if r["workload"] == workload and r["link"] == link
                and r["strategy"] == s and r["kind"] == "incremental"]
        if not rows or not all(r["ok"] for r in rows):
            continue
        out[s] = {k: mean(r[k] for r in rows) for k in
                  ("wall_s", "cpu_s", "wire_bytes", "host_read_bytes", "repo_growth_bytes", "peak_rss_bytes")}
    return out


def comparison(data: dict, workload: str, link: str) -> dict | None:
    """Ratios of the best file-level strategy (lowest incremental wall time) to the tar stream."""
    inc = incremental(data, workload, link)
    if "tar" not in inc:
        return None
    files = [s for s in FILE_LEVEL if s in inc]
    if not files:
        return None
    best = min(files, key=lambda s: inc[s]["wall_s"])
    tar, b = inc["tar"], inc[best]
    return {"best": best, "wall": _ratio(b["wall_s"], tar["wall_s"]),
            "wire": _ratio(b["wire_bytes"], tar["wire_bytes"]),
            "repo": _ratio(b["repo_growth_bytes"], tar["repo_growth_bytes"]),
            "host_read": _ratio(b["host_read_bytes"], tar["host_read_bytes"]), "inc": inc}


def _cpu_detail(data: dict, workload: str, link: str, c: dict) -> str:
    b, t = c["inc"][c["best"]], c["inc"]["tar"]
    loads = [r["load_before"] for r in data["runs"] if r["workload"] == workload and r["link"] == link
             and r["kind"] == "incremental"]
    return (f"Measured: {c['best']} {b['wall_s']:.2f} s wall with {b['cpu_s']:.2f} s CPU in the pod and "
            f"{_mb(b['host_read_bytes'])} MB read on the host; tar {t['wall_s']:.2f} s wall with {t['cpu_s']:.2f} s CPU "
            f"and {_mb(t['wire_bytes'])} MB over the link; load average {mean(loads):.0f} on "
            f"{data['environment']['cores']} cores during these runs.")


def _per_app(by: dict) -> str:
    sizes = sorted(by)
    if len(sizes) < 2:
        return ""
    a, b = by[sizes[0]], by[sizes[-1]]
    slope = (b["cpu_s"] - a["cpu_s"]) / (sizes[-1] - sizes[0])
    fixed = a["cpu_s"] - slope * sizes[0]
    decides = "the per-app work, not the start-up," if slope * 1000 > fixed else "the start-up, not the per-app work,"
    return (f" From the {sizes[0]:,}- and {sizes[-1]:,}-app runs: about {slope * 1000:.0f} ms of CPU per app on top of "
            f"{max(fixed, 0):.1f} s of fixed start-up CPU, so at 1,000 apps {decides} decides.")


def _as_run(rows: list[dict]) -> list[dict]:
    """The rows of the build users run (the native executable); rows without a build are older results."""
    return [g for g in rows if g.get("build", "aot") == "aot"]


def generator_scaling(data: dict) -> float | None:
    by = {g["apps"]: g for g in _as_run(data["generator"]) if g.get("ok")}
    if 1000 in by and 10000 in by:
        return by[10000]["wall_s"] / by[1000]["wall_s"]
    return None


def summary_lines(data: dict) -> list[str]:
    lines = []
    for w in data["workloads"]:
        for link in sorted(data["links"], key=lambda x: x != "100mbit"):
            c = comparison(data, w, link)
            if c is None:
                lines.append(f"{w} incremental {link}: file/tar n/a (a run failed, see the results file)")
                continue
            lines.append(f"{w} incremental {link}: file/tar wall={_fmt_ratio(c['wall'], 2)} "
                         f"wire={_fmt_ratio(c['wire'], 3)} repo={_fmt_ratio(c['repo'], 2)}")
    for g in data["generator"]:
        build = "" if g.get("build", "aot") == "aot" else f" ({g['build']})"
        if g.get("ok"):
            line = f"generator {g['apps']} apps{build}: {g['wall_s']:.1f} s {g['peak_rss_bytes'] / (1024 * 1024):.0f} MB"
            lines.append(line + _generator_goal(g) if not build else line)
        else:
            error = " ".join(g.get("error", "see results file").split())
            lines.append(f"generator {g['apps']} apps{build}: failed ({error[:300]})")
    for h in data.get("hook", []):
        if not h.get("ok"):
            lines.append(f"{h['name']}: failed ({h.get('error', '')})")
        elif h["name"] == CHECK_NAME:
            met = h["wall_s"] <= CHECK_WALL_MAX
            lines.append(f"{h['name']}: {h['wall_s']:.2f} s (goal <= {CHECK_WALL_MAX} s warm: {'met' if met else 'missed'})")
        else:
            lines.append(f"{h['name']}: {h['wall_s']:.2f} s")
    return lines


def _generator_goal(g: dict) -> str:
    """The goals of the build users run, judged on the line itself (1,000 and 10,000 apps)."""
    if g["apps"] == 1000:
        met = g["wall_s"] <= GEN_1000_WALL_MAX and g["peak_rss_bytes"] <= GEN_1000_PEAK_MAX
        return f" (goal <= {GEN_1000_WALL_MAX} s, <= {GEN_1000_PEAK_MAX >> 20} MB: {'met' if met else 'missed'})"
    if g["apps"] == 10000:
        return f" (goal <= {GEN_10000_WALL_MAX:.0f} s: {'met' if g['wall_s'] <= GEN_10000_WALL_MAX else 'missed'})"
    return ""


def goals(data: dict) -> list[dict]:
    """Each goal: what, target, measured, met (True/False/None when not measured), how far off."""
    out = []
    c = comparison(data, "W1", "100mbit") if "W1" in data["workloads"] else None
    if c:
        out.append({"goal": "W1 incremental at 100 Mbit/s: wire", "target": f"<= {W1_WIRE_MAX:.0%} of tar",
                    "measured": f"{c['wire']:.2%} ({c['best']})", "met": c["wire"] <= W1_WIRE_MAX,
                    "off": c["wire"] / W1_WIRE_MAX, "key": f"w1_wire_{c['best']}",
                    "detail": "(The best strategy is chosen by wall time; per-strategy wire bytes are in the W1 table.)"})
        out.append({"goal": "W1 incremental at 100 Mbit/s: wall", "target": f"<= {W1_WALL_MAX}x tar",
                    "measured": f"{c['wall']:.3f}x ({c['best']})", "met": c["wall"] <= W1_WALL_MAX,
                    "off": c["wall"] / W1_WALL_MAX, "key": "w1_wall", "detail": _cpu_detail(data, "W1", "100mbit", c)})
    for link in data["links"]:
        c3 = comparison(data, "W3", link) if "W3" in data["workloads"] else None
        if c3:
            out.append({"goal": f"W3 incremental (nothing changed) at {link}: wall", "target": f"<= {W3_WALL_MAX}x tar",
                        "measured": f"{c3['wall']:.3f}x ({c3['best']})", "met": c3["wall"] <= W3_WALL_MAX,
                        "off": c3["wall"] / W3_WALL_MAX, "key": "w3_wall", "detail": _cpu_detail(data, "W3", link, c3)})
    for r in data["restores"]:
        if r["strategy"] not in FILE_LEVEL or not r["ok"]:
            continue
        x = r["repo_read_bytes"] / r["file_bytes"]
        out.append({"goal": f"{r['workload']} single-file restore ({r['strategy']}, {r['file_bytes'] / MB:.3g} MB file)",
                    "target": f"<= {RESTORE_READ_MAX}x file size read", "measured": f"{x:.2f}x",
                    "met": x <= RESTORE_READ_MAX, "off": x / RESTORE_READ_MAX, "key": "restore",
                    "detail": f"restic read {r['repo_read_bytes'] / 1000:.0f} kB for a {r['file_bytes'] / 1000:.1f} kB file."})
    by = {g["apps"]: g for g in _as_run(data["generator"]) if g.get("ok")}
    if 1000 in by:
        g = by[1000]
        out.append({"goal": "generator 1,000 apps: wall incl. start-up", "target": f"<= {GEN_1000_WALL_MAX} s",
                    "measured": f"{g['wall_s']:.2f} s", "met": g["wall_s"] <= GEN_1000_WALL_MAX,
                    "off": g["wall_s"] / GEN_1000_WALL_MAX, "key": "gen_wall",
                    "detail": f"The run used {g['cpu_s']:.2f} s of CPU in {g['wall_s']:.2f} s of wall time, "
                              f"started at a load average of {g.get('load_before', 0):.0f} on {data['environment']['cores']} cores."
                              + _per_app(by)})
        out.append({"goal": "generator 1,000 apps: peak memory", "target": "<= 150 MB",
                    "measured": f"{g['peak_rss_bytes'] / 1048576:.0f} MB", "met": g["peak_rss_bytes"] <= GEN_1000_PEAK_MAX,
                    "off": g["peak_rss_bytes"] / GEN_1000_PEAK_MAX, "key": "gen_peak"})
    s = generator_scaling(data)
    timed_out = [g for g in _as_run(data["generator"]) if g["apps"] == 10000 and not g.get("ok") and "within" in g.get("error", "")]
    if s is None and 1000 in by and timed_out:
        limit = float(timed_out[0]["error"].split("within ")[1].split()[0])
        out.append({"goal": "generator 10,000 apps vs 1,000: time ratio", "target": f"<= {GEN_SCALING_MAX}x",
                    "measured": f"> {limit / by[1000]['wall_s']:.1f}x (10,000 apps did not finish within {limit:.0f} s)",
                    "met": None if limit / by[1000]["wall_s"] < GEN_SCALING_MAX else False,
                    "off": limit / by[1000]["wall_s"] / GEN_SCALING_MAX, "key": "gen_scaling",
                    "detail": "Only a lower bound: the bench stops the 10,000-app run to stay within its time budget."})
    if s is not None:
        out.append({"goal": "generator 10,000 apps vs 1,000: time ratio", "target": f"<= {GEN_SCALING_MAX}x",
                    "measured": f"{s:.1f}x", "met": s <= GEN_SCALING_MAX, "off": s / GEN_SCALING_MAX, "key": "gen_scaling"})
    if 10000 in by:
        w = by[10000]["wall_s"]
        out.append({"goal": "generator 10,000 apps: wall incl. start-up", "target": f"<= {GEN_10000_WALL_MAX:.0f} s",
                    "measured": f"{w:.2f} s", "met": w <= GEN_10000_WALL_MAX, "off": w / GEN_10000_WALL_MAX, "key": "gen_10000"})
    for h in data.get("hook", []):
        if h["name"] == CHECK_NAME and h.get("ok"):
            out.append({"goal": "check of the example inventory (pre-commit path), warm", "target": f"<= {CHECK_WALL_MAX} s",
                        "measured": f"{h['wall_s']:.2f} s", "met": h["wall_s"] <= CHECK_WALL_MAX,
                        "off": h["wall_s"] / CHECK_WALL_MAX, "key": "check_wall"})
    return out


# Why a goal can be missed and what would close it; used only for goals that the run missed.
WHY = {
    "w1_wire_rsync": ("rsync's delta transfer works on blocks (about sqrt(file size), ~9 kB for 80 MB): every block "
                      "holding a changed row is sent again, so scattered row changes cost more than the rows themselves; "
                      "rsync also sends the file list and block checksums.",
                      "a larger change cluster in the dump (pg_dump ordered by key), `--block-size`, or streaming the "
                      "dump as its own restic snapshot (hooks.dumps) instead of pulling it as a file."),
    "w1_wire_sshfs": ("sshfs has no delta transfer: restic reads every changed file whole through the mount, so the "
                      "whole 80 MB dump crosses the link each run (ssh-compressed), whatever share of it changed.",
                      "the rsync strategy (the default), whose delta transfer sends only the changed blocks; sshfs "
                      "wins on wall time only when the CPU, not the link, is the bottleneck."),
    "w1_wall": ("the file-level run is CPU-bound while the tar stream is link-bound. Its CPU goes to restic "
                "re-chunking, compressing and encrypting the changed 80 MB dump (changes spread over the file touch "
                "most 1 MiB chunks, so it adds about as much to the repository as the stream does) and to rsync "
                "rebuilding the dump in the mirror; on a busy machine the run also waits for a CPU.",
                "an unshared machine (compare the run's CPU seconds with the tar stream's wall time), and less work "
                "per dump: a dump whose changes cluster (ordered by key) or per-table dumps, so fewer chunks change."),
    "w3_wall": ("with nothing changed, the file-level run costs a fixed amount (runner and restic start-up, "
                "SSH session, listing the tree, restic writing a snapshot); the tar stream's cost scales with the data, "
                "so the ratio gets better with more data and a slower link.",
                "nothing in the transfer: the fixed start-up cost of the runner and restic dominates."),
    "restore": ("restic reads at least the file's whole blob plus the tree blobs along its path, and the kernel reads "
                "whole pages; for a file of a few kB that minimum is several times its size.",
                "nothing worth doing: the absolute amount is a few kB; the goal holds for the large files."),
    "gen_wall": ("the time goes into the per-app pipeline (render through Scriban, re-parse every object into the "
                 "Kubernetes model types, cross-object checks, canonical write) and the .NET start-up and JIT, on a "
                 "machine shared with other work.",
                 "profiling the per-app path (template parsing and YAML re-parse per object are the usual suspects: "
                 "parse each template once, reuse serializers), then ReadyToRun publishing for the start-up."),
    "gen_10000": ("the per-app pipeline's CPU (render, strict re-parse, canonical text) times ten thousand, on two "
                  "cores shared with other work.",
                  "building the typed objects and the canonical text in one pass instead of text, parse, text."),
    "check_wall": ("a check renders every example environment in memory and reads out/; the native executable's start-up "
                   "is milliseconds, so what remains is that work and the machine's load.",
                   "an unshared machine; otherwise caching the rendered environments by inventory hash."),
    "gen_peak": ("every rendered object is kept in memory for the cross-object checks.",
                 "streaming rendered files to disk and keeping only the keys the cross-object checks need."),
    "gen_scaling": ("a step in the pipeline grows faster than linearly with the number of apps (a cross-object "
                    "check or a sort over all objects).",
                    "an index (dictionary) for the cross-object lookups."),
}


def _stopped(r: dict) -> str:
    """Seconds the services were stopped; '-' for results from before the column existed or nothing stopped."""
    v = r.get("stopped_s")
    return "-" if v is None else f"{v:.2f}"


def _mb(b: float) -> str:
    if abs(b) >= 100 * MB:
        return f"{b / MB:.0f}"
    if abs(b) >= MB:
        return f"{b / MB:.1f}"
    return f"{b / MB:.3f}"


def markdown(data: dict) -> str:
    env = data["environment"]
    o: list[str] = []
    o.append(f"# Benchmark results: {data['name']}\n")
    o.append(f"Run {data['started']} with `make bench` on the machine below; the whole run took "
             f"{data['elapsed_s'] / 60:.1f} minutes. Seed {data['seed']}"
             + (f", **scale {data['scale']} (a trial run, not the full workloads)**" if data["scale"] != 1 else "")
             + f". File-level runs: {env['file_level']}. Source revision: `{env['git']}`.\n")
    if data["failures"]:
        o.append("**Failures in this run:**\n")
        for f in data["failures"]:
            o.append(f"- `{f.replace('`', '')[:600]}`")
        o.append("")
    o.append("## Summary, as printed by the run\n")
    o.append("Ratios of the best file-level strategy (lowest mean incremental wall time) to the tar stream, "
             "means of the two incremental runs.\n")
    o.append("```")
    o.extend(data["summary_lines"])
    o.append("```\n")

    o.append("## Goals\n")
    o.append("| goal | target | measured | met |")
    o.append("|---|---|---|---|")
    gl = goals(data)
    for g in gl:
        met = "not determined" if g["met"] is None else "yes" if g["met"] else "**no**"
        o.append(f"| {g['goal']} | {g['target']} | {g['measured']} | {met} |")
    o.append("")
    for g in gl:
        if g["met"] is None:
            o.append(f"- **Not determined: {g['goal']}** — {g['measured']}. {g.get('detail', '')}")
    missed = [g for g in gl if g["met"] is False]
    for g in missed:
        why, fix = WHY[g["key"]]
        o.append(f"- **Missed: {g['goal']}** — {g['measured']} against {g['target']}, "
                 f"{g['off']:.2f}x the limit. {g.get('detail', '')} Why: {why} What would close it: {fix}")
    if missed:
        o.append("")

    o.append("## Machine and versions\n")
    o.append(f"- CPU: {env['cpu']}, {env['cores']} cores (shared), {env['memory_gib']} GiB memory; "
             f"{env['os']}, kernel {env['kernel']}")
    o.append(f"- {env['restic']}")
    o.append(f"- {env['rsync']}; {env['ssh']}; {env['sshfs']}")
    o.append(f"- .NET SDK {env['dotnet']}; Python {env['python']} (bench driver)")
    o.append("")

    o.append("## Workloads\n")
    o.append("| workload | content | size | files | restored file |")
    o.append("|---|---|---:|---:|---|")
    for name, w in data["workloads"].items():
        o.append(f"| {name} | {w['description']} | {w['bytes'] / MB:.0f} MB | {w['files']:,} | `{w['restore_file']}` |")
    o.append("")

    o.append("## Runs\n")
    o.append("wall: seconds, start of the process to its exit. cpu: user + system CPU seconds of the pod side's "
             "process tree (runner, restic, rsync, ssh; for tar the pipeline), host cpu: the same for the host's "
             "session processes; CPU time barely depends on how busy the machine is, wall time does. wire: MB sent on the namespace's loopback "
             "(both directions, with TCP/IP headers). host read: MB read from disk by the host side (sshd and "
             "every session process below it). repo+: growth of the repository in MB (sum of file sizes). "
             "peak: largest resident set of any single process of the run (`/usr/bin/time` %M). "
             "files: restic's new/changed/unmodified counts. stopped: seconds the app's compose service was stopped "
             "(the runner's servicesStoppedSeconds; for the seed's tar stream its whole wall time, which it stops them for). load: the machine's 1-minute load average when the run "
             "started (2 cores; other work was running).\n")
    for name in data["workloads"]:
        o.append(f"### {name}\n")
        o.append("| link | run | strategy | wall s | cpu s | host cpu s | wire MB | host read MB | repo+ MB | peak MB | files n/c/u | stopped s | load |")
        o.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
        for r in data["runs"]:
            if r["workload"] != name:
                continue
            s = r["summary"]
            files = "/".join(str(s.get(k, "?")) for k in ("files_new", "files_changed", "files_unmodified")) \
                if any(k in s for k in ("files_new",)) else _runner_files(s)
            status = "" if r["ok"] else f" **failed (exit {r['exit']})**"
            o.append(f"| {r['link']} | {r['kind']} #{r['step']} | {r['strategy']}{status} | {r['wall_s']:.2f} | "
                     f"{r['cpu_s']:.2f} | {r['host_cpu_s']:.2f} | "
                     f"{_mb(r['wire_bytes'])} | {_mb(r['host_read_bytes'])} | {_mb(r['repo_growth_bytes'])} | "
                     f"{r['peak_rss_bytes'] / 1048576:.0f} | {files} | {_stopped(r)} | {r['load_before']:.0f} |")
        o.append("")
        for link in data["links"]:
            c = comparison(data, name, link)
            if not c:
                continue
            parts = []
            for s, v in c["inc"].items():
                parts.append(f"{s} {v['wall_s']:.2f} s ({v['cpu_s']:.1f} s CPU), {_mb(v['wire_bytes'])} MB wire, "
                             f"{_mb(v['host_read_bytes'])} MB host read, {_mb(v['repo_growth_bytes'])} MB repo+")
            o.append(f"- {link}, mean incremental: " + "; ".join(parts) + ".")
        o.append("")

    o.append("## Single-file restore\n")
    o.append("restic's own read from the repository (`read_bytes` of the restoring process tree, with the "
             "repository's pages dropped from the page cache first and the restic cache warm, as on its volume). "
             "tar: `restic dump` of the archive piped through `tar -x` for one member (the only way to get one "
             "file out of a stream snapshot). Each restored file is compared byte for byte with the host's.\n")
    o.append("| workload | strategy | file | file MB | wall s | read from repo MB | read / file size | matches |")
    o.append("|---|---|---|---:|---:|---:|---:|---|")
    for r in data["restores"]:
        o.append(f"| {r['workload']} | {r['strategy']} | `{r['file']}` | {_mb(r['file_bytes'])} | {r['wall_s']:.2f} | "
                 f"{_mb(r['repo_read_bytes'])} | {r['repo_read_bytes'] / r['file_bytes']:.2f}x | {'yes' if r['ok'] else '**no**'} |")
    o.append("")

    if data["generator"]:
        o.append("## Generator\n")
        o.append("`manifestgen render` on a generated inventory of N apps (10 apps per host), the published "
                 "binary started directly: wall time includes process start-up; peak is the largest resident set. "
                 "Rendering includes validation and the cross-object checks.\n")
        o.append("| apps | build | wall s | cpu s | peak MB | files written | wall per app ms | load |")
        o.append("|---:|---|---:|---:|---:|---:|---:|---:|")
        for g in data["generator"]:
            if g.get("ok"):
                o.append(f"| {g['apps']:,} | {g.get('build', 'aot')} | {g['wall_s']:.2f} | {g['cpu_s']:.2f} | {g['peak_rss_bytes'] / 1048576:.0f} | "
                         f"{g.get('files', '?')} | {g['wall_s'] * 1000 / g['apps']:.2f} | {g.get('load_before', 0):.0f} |")
            else:
                error = " ".join(g.get("error", "failed").split()).replace("|", "/")
                o.append(f"| {g['apps']:,} | {g.get('build', 'aot')} | **{error[:200]}** | | | | | {g.get('load_before', 0):.0f} |")
        s = generator_scaling(data)
        if s is not None:
            by = {g["apps"]: g for g in _as_run(data["generator"]) if g.get("ok")}
            o.append(f"\nScaling: 10,000 apps take {s:.1f}x the wall time of 1,000 "
                     f"({by[10000]['cpu_s'] / by[1000]['cpu_s']:.1f}x the CPU time).")
        o.append("")

    o.append("## Chart\n")
    o.append(f"![incremental runs and generator scaling]({data['name']}.svg)\n")
    o.append("## Method\n")
    o.extend(f"- {m}" for m in METHOD)
    o.append("")
    return "\n".join(o)


def _runner_files(s: dict) -> str:
    for keys in (("filesNew", "filesChanged", "filesUnmodified"),):
        if any(k in s for k in keys):
            return "/".join(str(s.get(k, "?")) for k in keys)
    return "?"


METHOD = [
    "One private network namespace holds both ends: a real `sshd` (throwaway ed25519 keys in a temporary "
    "folder, pinned known_hosts, port 2222 on the namespace's 127.0.0.1) acting as the KVM host, and the "
    "pod side (the runner, restic, rsync, sshfs). Its loopback is shaped with `tc tbf` at 100 Mbit/s or "
    "1 Gbit/s; both directions share that rate. No delay is added (this kernel has no netem).",
    "tar: `ssh host \"tar -cf - path\" | restic backup --stdin --stdin-filename <app>.tar --host ... --tag app=...`, "
    "exactly the old CronJob (the bench adds pipefail to notice a broken stream). rsync and sshfs: "
    "`manifestgen-runner backup` with a JobConfig file (MANIFESTGEN_JOB_CONFIG), as the CronJob runs it; "
    "the mirror (rsync) and the mount (sshfs) live under the job's localRoot.",
    "Each strategy has its own repository, cache and mirror per workload and link, so runs do not share state. "
    "Every run starts with the host's files dropped from the page cache (posix_fadvise DONTNEED after sync): "
    "host reads are disk reads, as on a host whose cache holds other things.",
    "Host bytes read: `read_bytes` of the host sshd's `/proc/<pid>/io`, read after every session process has "
    "exited and been reaped (the kernel adds a reaped child's I/O to its parent), so it covers sshd, tar, "
    "rsync and sftp-server.",
    "Runs: at 1 Gbit/s a first backup and two incremental ones per workload, each strategy in turn on the same "
    "host state; at 100 Mbit/s W1 starts over (fresh repositories, first backup, two incremental runs), while "
    "W2 and W3 continue on the 1 Gbit/s repositories with two more incremental runs (#3, #4). Their first "
    "backups at the slower rate (50,000 files through sshfs; three 2 GiB streams at 100 Mbit/s) would take "
    "most of the 30-minute budget on 2 shared cores and measure no goal. BENCH_FRESH_PER_LINK=W1,W2,W3 runs "
    "the full matrix.",
    "Workloads are generated from the seed by bench/workloads.py (same seed, same bytes and mtimes); between "
    "runs only the described changes are applied, as rewrites with a new mtime.",
]
