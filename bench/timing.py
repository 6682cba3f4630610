"""Reading /usr/bin/time's output (peak memory and CPU time of a process tree)."""
from __future__ import annotations

TIME_FORMAT = "%M %U %S"


def read_time(path: str) -> tuple[int, float]:
    """/usr/bin/time's output: peak resident set (kB) and user + system CPU seconds of the tree."""
    with open(path) as f:
        last = f.read().strip().splitlines()[-1].split()
    return int(last[0]), float(last[1]) + float(last[2])
