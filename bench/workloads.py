"""Deterministic benchmark workloads: the same seed gives the same bytes, names and mtimes on any machine.

Each workload can be put into the state of any step (0 = first backup, 1..n = incremental runs) in place:
only files whose content differs from the step already on disk are rewritten, so a change between two
steps is exactly what a real application would have changed (new content, new mtime).
"""
from __future__ import annotations

import os
import random
import zlib
from dataclasses import dataclass, field

# Every file's mtime is derived from this instant and the step that last wrote it (no wall clock).
BASE_EPOCH = 1767225600  # 2026-01-01T00:00:00Z
MiB = 1 << 20

_WORDS = ("var let const return if else for while switch case break continue function class public "
          "private static async await import export from new this null true false string int void "
          "config service handler request response error logger cache queue user order item price "
          "total count index value result data buffer stream client server route params options").split()


def _sub_seed(*parts: object) -> int:
    """A stable 32-bit seed from parts (crc32 of their text), independent of PYTHONHASHSEED."""
    return zlib.crc32("/".join(str(p) for p in parts).encode())


def _line_pool(seed: int, n: int) -> list[str]:
    r = random.Random(_sub_seed(seed, "lines"))
    pool = []
    for _ in range(n):
        indent = "    " * r.randint(0, 3)
        pool.append(indent + " ".join(r.choices(_WORDS, k=r.randint(2, 12))) + ";\n")
    return pool


def _text(r: random.Random, pool: list[str], size: int) -> bytes:
    out: list[str] = []
    n = 0
    while n < size:
        line = pool[r.randrange(len(pool))]
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def _write(path: str, data: bytes, step: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Replace, as a dump job or an editor would: new inode, new content, mtime of the step.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    t = BASE_EPOCH + step * 3600
    os.utime(path, (t, t))


def _write_random(path: str, seed: int, size: int, step: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    r = random.Random(seed)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 16 * MiB)
            f.write(r.randbytes(n))
            left -= n
    os.replace(tmp, path)
    t = BASE_EPOCH + step * 3600
    os.utime(path, (t, t))


@dataclass
class Workload:
    """Base: `name`, host directory `root`, and the step currently materialised on disk."""
    name: str
    root: str
    seed: int
    description: str = ""
    current: int | None = None
    restore_file: str = ""  # path relative to root of the file used for the single-file restore
    changes: bool = True

    def materialise(self, step: int) -> None:
        raise NotImplementedError

    def total_bytes(self) -> int:
        total = 0
        for d, _, files in os.walk(self.root):
            for f in files:
                total += os.lstat(os.path.join(d, f)).st_size
        return total

    def file_count(self) -> int:
        return sum(len(files) for _, _, files in os.walk(self.root))


@dataclass
class ComposeApp(Workload):
    """W1: a compose app: ~3,200 small source files, a few large binaries, an 80 MB SQL dump.

    Between steps 1% of the dump's rows change, in runs of `cluster` consecutive rows (updates cluster
    by key, as a batch job touching recent orders does); nothing else changes.
    """
    source_files: int = 3200
    source_mean: int = 11_500
    binaries_mb: tuple[int, ...] = (40, 30, 20, 12, 8)
    dump_mb: int = 80
    change_ratio: float = 0.01
    cluster: int = 50
    _rows: int = 0
    _versions: bytearray = field(default_factory=bytearray)
    _base: list[tuple[int, int, int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.restore_file = "db/dump.sql"
        self.description = (f"compose app: {self.source_files} source files (~{self.source_mean // 1000} kB), "
                            f"{len(self.binaries_mb)} binaries ({sum(self.binaries_mb)} MB, incompressible), "
                            f"a {self.dump_mb} MB SQL dump of which {self.change_ratio:.0%} of rows change per run "
                            f"(runs of {self.cluster} consecutive rows)")

    def _static(self) -> None:
        pool = _line_pool(self.seed, 4000)
        r = random.Random(_sub_seed(self.seed, "w1-src"))
        _write(os.path.join(self.root, "docker-compose.yml"),
               b"services:\n  web:\n    image: shop/web:1.4\n  db:\n    image: postgres:16\n", 0)
        for i in range(self.source_files):
            d = f"src/module{i // 64:02d}/pkg{(i // 8) % 8}"
            size = max(200, int(r.expovariate(1 / self.source_mean)))
            _write(os.path.join(self.root, d, f"file{i:04d}.ts"), _text(r, pool, size), 0)
        for j, mb in enumerate(self.binaries_mb):
            _write_random(os.path.join(self.root, "data/uploads", f"asset{j}.bin"),
                          _sub_seed(self.seed, "w1-bin", j), mb * MiB, 0)

    def _dump_row(self, i: int) -> str:
        customer, sku, qty, price, day = self._base[i]
        v = self._versions[i]
        status = ("new", "paid", "packed", "shipped", "delivered", "returned")[(customer + v) % 6]
        price = (price + 137 * v) % 100_000
        qty = (qty + v) % 50 + 1
        return (f"INSERT INTO orders VALUES ({i + 1}, {customer}, 'SKU-{sku:06d}', {qty}, {price // 100}.{price % 100:02d}, "
                f"'{status}', '2025-{day // 28 % 12 + 1:02d}-{day % 28 + 1:02d} 12:{v % 60:02d}:00');\n")

    def materialise(self, step: int) -> None:
        if self.current is None:
            self._static()
            r = random.Random(_sub_seed(self.seed, "w1-rows"))
            row_len = 106  # measured mean length of a row, so the dump is about dump_mb
            self._rows = self.dump_mb * MiB // row_len
            self._base = [(r.randrange(100_000), r.randrange(1_000_000), r.randrange(50),
                           r.randrange(100_000), r.randrange(365)) for _ in range(self._rows)]
        if step == self.current:
            return
        self._versions = bytearray(self._rows)
        per_step = int(self._rows * self.change_ratio) // self.cluster
        for s in range(1, step + 1):
            r = random.Random(_sub_seed(self.seed, "w1-change", s))
            for _ in range(per_step):
                start = r.randrange(self._rows - self.cluster)
                for i in range(start, start + self.cluster):
                    self._versions[i] = (self._versions[i] + 1) % 256
        header = "-- PostgreSQL database dump\nCREATE TABLE orders (id int primary key, customer int, sku text, qty int, price numeric, status text, updated timestamp);\n"
        body = "".join(self._dump_row(i) for i in range(self._rows))
        _write(os.path.join(self.root, self.restore_file), (header + body).encode(), step)
        self.current = step


@dataclass
class SmallFiles(Workload):
    """W2: 50,000 small text files (200 B - 4 kB) in 250 folders; 0.5% of them are rewritten per run."""
    files: int = 50_000
    per_dir: int = 200
    change_ratio: float = 0.005
    _versions: list[int] = field(default_factory=list)
    _pool: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.restore_file = self._rel(self.files // 4 + 7)
        self.description = (f"{self.files:,} small files (200 B - 4 kB text) in {self.files // self.per_dir} folders, "
                            f"{self.change_ratio:.1%} rewritten per run")

    def _rel(self, i: int) -> str:
        return f"mail/box{i // self.per_dir:03d}/msg{i:05d}.eml"

    def _content(self, i: int, v: int) -> bytes:
        r = random.Random(_sub_seed(self.seed, "w2", i, v))
        return _text(r, self._pool, r.randint(200, 4000))

    def _target(self, step: int) -> list[tuple[int, int]]:
        """(version, step that wrote it) per file in the given step."""
        state = [(0, 0)] * self.files
        n = int(self.files * self.change_ratio)
        for s in range(1, step + 1):
            for i in random.Random(_sub_seed(self.seed, "w2-change", s)).sample(range(self.files), n):
                state[i] = (state[i][0] + 1, s)
        return state

    def materialise(self, step: int) -> None:
        if not self._pool:
            self._pool = _line_pool(self.seed, 3000)
        target = self._target(step)
        have = self._versions if self.current is not None else None
        for i, (v, s) in enumerate(target):
            if have is None or have[i] != v:
                _write(os.path.join(self.root, self._rel(i)), self._content(i, v), s)
        self._versions = [v for v, _ in target]
        self.current = step


@dataclass
class Media(Workload):
    """W3: 2 GiB of large incompressible media files; nothing changes between runs."""
    files: int = 16
    file_mb: int = 128

    def __post_init__(self) -> None:
        self.changes = False
        self.restore_file = "media/clip07.mkv"
        self.description = f"{self.files} media files of {self.file_mb} MiB (incompressible), nothing changes"

    def materialise(self, step: int) -> None:
        if self.current is None:
            for i in range(self.files):
                _write_random(os.path.join(self.root, f"media/clip{i:02d}.mkv"),
                              _sub_seed(self.seed, "w3", i), self.file_mb * MiB, 0)
        self.current = step
