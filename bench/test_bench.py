"""Checks of the bench's own logic (no root, no network, a few seconds):
    python3 -m unittest discover -s bench -p 'test_*.py'
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import report  # noqa: E402
import workloads  # noqa: E402


def tree_digest(root: str) -> dict[str, tuple[str, int]]:
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = (hashlib.sha256(fh.read()).hexdigest(), int(os.stat(p).st_mtime))
    return out


def small_w1(root: str, seed: int = 7) -> workloads.ComposeApp:
    return workloads.ComposeApp("W1", root, seed, source_files=40, binaries_mb=(1,), dump_mb=1)


def small_w2(root: str) -> workloads.SmallFiles:
    return workloads.SmallFiles("W2", root, 7, files=1000)


class WorkloadTests(unittest.TestCase):
    @staticmethod
    def two_trees(seed_b: int, steps_a: list[int], steps_b: list[int]) -> tuple[dict, dict]:
        with tempfile.TemporaryDirectory() as t:
            a, b = small_w1(os.path.join(t, "a")), small_w1(os.path.join(t, "b"), seed_b)
            for step in steps_a:
                a.materialise(step)
            for step in steps_b:
                b.materialise(step)
            return tree_digest(a.root), tree_digest(b.root)

    def test_Should_generate_the_same_bytes_and_mtimes_from_the_same_seed(self):
        a, b = self.two_trees(7, [2], [0, 1, 2])
        self.assertEqual(a, b)

    def test_Should_generate_different_bytes_from_another_seed(self):
        a, b = self.two_trees(8, [0], [0])
        self.assertNotEqual(a, b)

    def test_Should_change_only_the_dump_in_W1_between_runs(self):
        with tempfile.TemporaryDirectory() as t:
            w = small_w1(os.path.join(t, "w"))
            w.materialise(0)
            before = tree_digest(w.root)
            w.materialise(1)
            after = tree_digest(w.root)
            changed = [k for k in before if before[k] != after[k]]
            self.assertEqual(changed, [w.restore_file])

    def test_Should_change_about_one_percent_of_the_dump_rows(self):
        with tempfile.TemporaryDirectory() as t:
            w = small_w1(os.path.join(t, "w"))
            w.materialise(0)
            with open(os.path.join(w.root, w.restore_file)) as f:
                rows0 = f.read().splitlines()
            w.materialise(1)
            with open(os.path.join(w.root, w.restore_file)) as f:
                rows1 = f.read().splitlines()
            self.assertEqual(len(rows0), len(rows1))
            share = sum(1 for x, y in zip(rows0, rows1) if x != y) / len(rows0)
            self.assertGreater(share, 0.005)
            self.assertLess(share, 0.011)

    def test_Should_rewrite_half_a_percent_of_W2_per_run_and_return_to_step_0(self):
        with tempfile.TemporaryDirectory() as t:
            w = small_w2(os.path.join(t, "w"))
            w.materialise(0)
            first = tree_digest(w.root)
            w.materialise(1)
            changed = [k for k, v in tree_digest(w.root).items() if first[k] != v]
            self.assertEqual(len(changed), 5)
            w.materialise(0)
            self.assertEqual(tree_digest(w.root), first)


def run_row(workload, link, strategy, step, wall, wire, repo=1_000_000, ok=True):
    return {"workload": workload, "link": link, "strategy": strategy, "step": step,
            "kind": "first" if step == 0 else "incremental", "ok": ok, "exit": 0 if ok else 1, "wall_s": wall,
            "cpu_s": wall / 2, "host_cpu_s": 0.1, "wire_bytes": wire, "host_read_bytes": wire,
            "repo_growth_bytes": repo, "repo_bytes": repo, "peak_rss_bytes": 50 << 20, "load_before": 1.0,
            "summary": {}}


def fake_data(rsync_ok=True):
    runs = []
    for step in (0, 1, 2):
        runs.append(run_row("W1", "100mbit", "tar", step, 20.0, 240_000_000))
        runs.append(run_row("W1", "100mbit", "rsync", step, 2.0, 3_600_000, ok=rsync_ok))
        runs.append(run_row("W1", "100mbit", "sshfs", step, 4.0, 17_000_000))
    return {"name": "t", "started": "x", "elapsed_s": 60, "seed": 1, "scale": 1, "links": ["100mbit"],
            "environment": {"cores": 2, "cpu": "c", "memory_gib": 1, "os": "o", "kernel": "k", "restic": "r",
                            "rsync": "r", "ssh": "s", "sshfs": "s", "dotnet": "d", "python": "p",
                            "file_level": "f", "git": "g"},
            "workloads": {"W1": {"description": "d", "bytes": 1, "files": 1, "restore_file": "f"}},
            "runs": runs, "restores": [], "failures": [],
            "generator": [{"apps": 1000, "ok": True, "wall_s": 0.9, "cpu_s": 0.8, "peak_rss_bytes": 150 << 20}]}


class ReportTests(unittest.TestCase):
    def test_Should_print_one_line_per_workload_in_the_fixed_form(self):
        lines = report.summary_lines(fake_data())
        self.assertEqual(lines[0], "W1 incremental 100mbit: file/tar wall=0.10 wire=0.015 repo=1.00")
        self.assertRegex(lines[1], r"^generator 1000 apps: 0\.9 s 150 MB \(goal <= 1\.5 s, <= 150 MB: met\)$")

    def test_Should_print_the_native_build_the_framework_dependent_one_and_the_hook(self):
        data = fake_data()
        data["generator"] = [{"apps": 1000, "build": "aot", "ok": True, "wall_s": 1.2, "cpu_s": 1.5, "peak_rss_bytes": 120 << 20},
                             {"apps": 1000, "build": "jit", "ok": True, "wall_s": 3.4, "cpu_s": 4.0, "peak_rss_bytes": 170 << 20}]
        data["generator"] += [{"apps": 10000, "build": "aot", "ok": True, "wall_s": 12.5, "cpu_s": 20, "peak_rss_bytes": 600 << 20}]
        data["hook"] = [{"name": "pre-commit hook", "ok": True, "wall_s": 0.31},
                        {"name": "check example inventory", "ok": True, "wall_s": 0.25}]
        lines = report.summary_lines(data)
        self.assertEqual(lines[1:], ["generator 1000 apps: 1.2 s 120 MB (goal <= 1.5 s, <= 150 MB: met)",
                                     "generator 1000 apps (jit): 3.4 s 170 MB",
                                     "generator 10000 apps: 12.5 s 600 MB (goal <= 12 s: missed)",
                                     "pre-commit hook: 0.31 s",
                                     "check example inventory: 0.25 s (goal <= 0.3 s warm: met)"])
        goals = {g["key"]: g["met"] for g in report.goals(data)}
        self.assertEqual((goals["gen_10000"], goals["check_wall"]), (False, True))
        # The goals judge the native build, the one users run.
        wall = next(g for g in report.goals(data) if g["key"] == "gen_wall")
        self.assertTrue(wall["met"])

    def test_Should_choose_the_other_strategy_when_one_failed(self):
        data = fake_data(rsync_ok=False)
        self.assertTrue(report.summary_lines(data)[0].startswith("W1 incremental 100mbit: file/tar wall=0.20 "))

    def test_Should_report_a_missed_goal_with_its_distance(self):
        data = fake_data()
        for r in data["runs"]:
            if r["strategy"] == "rsync":
                r["wall_s"] = 6.0
                r["cpu_s"] = 3.0
        data["summary_lines"] = report.summary_lines(data)
        md = report.markdown(data)
        self.assertIn("**Missed: W1 incremental at 100 Mbit/s: wall**", md)
        self.assertTrue(re.search(r"1\.33x the limit", md), md)


if __name__ == "__main__":
    unittest.main()
