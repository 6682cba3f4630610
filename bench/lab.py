"""The emulated link: one private network namespace holding both ends (the host's sshd and the pod),
its loopback shaped by tc, throwaway SSH keys, and the counters the benchmark reads.

Everything created here is removed by close(), which is safe to call more than once.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

SSH_PORT = 2222

# Rate per link. Both directions share the shaped loopback (data and ACKs).
# tbf: the bucket must hold at least one loopback packet (up to 64 KiB); a few ms of burst at rate.
# (netem, which could add delay, is not in every kernel: this one lacks it, so no delay is added.)
LINKS = {
    "100mbit": ("100mbit", "128kb"),
    "1gbit": ("1gbit", "1mb"),
}


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, **kw)


class Lab:
    def __init__(self, work: str, ns: str):
        self.work = work
        self.ns = ns
        self.dir = os.path.join(work, "lab")
        self.sshd: subprocess.Popen | None = None
        self.ns_created = False
        self.link = ""

    # --- set-up -------------------------------------------------------------------------------------
    def start(self) -> None:
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        run(["ip", "netns", "add", self.ns])
        self.ns_created = True
        run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        for name in ("host_key", "client_key"):
            path = os.path.join(self.dir, name)
            if not os.path.exists(path):
                run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"bench-{name}", "-f", path])
        with open(os.path.join(self.dir, "client_key.pub")) as f:
            client_pub = f.read()
        self._write("authorized_keys", client_pub, 0o600)
        # The compose stand-in the runner stops and starts (as in the runner tests): the running set in
        # $PWD/.running. First on the sessions' PATH (SetEnv below).
        os.makedirs(os.path.join(self.dir, "bin"), exist_ok=True)
        self._write(os.path.join("bin", "docker"), "\n".join([
            "#!/bin/sh",
            '[ "$1" = compose ] || exit 2',
            "shift",
            'case "$1" in',
            "  ps) cat .running 2>/dev/null ;;",
            '  stop) shift; for s in "$@"; do grep -vx "$s" .running > .running.new || true; mv .running.new .running; done ;;',
            '  start) shift; for s in "$@"; do echo "$s" >> .running; done ;;',
            "  *) exit 2 ;;",
            "esac",
            "",
        ]), 0o755)
        with open(os.path.join(self.dir, "host_key.pub")) as f:
            host_pub = " ".join(f.read().split()[:2])
        self._write("known_hosts", f"[127.0.0.1]:{SSH_PORT} {host_pub}\n", 0o644)
        self._write("sshd_config", "\n".join([
            f"Port {SSH_PORT}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.dir}/host_key",
            f"AuthorizedKeysFile {self.dir}/authorized_keys",
            f"PidFile {self.dir}/sshd.pid",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "MaxStartups 100",
            "MaxSessions 100",
            f"SetEnv PATH={self.dir}/bin:/usr/local/bin:/usr/bin:/bin",
            # The stock Debian subsystem: a separate sftp-server process per sshfs mount.
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "",
        ]), 0o600)
        os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
        run(["/usr/sbin/sshd", "-t", "-f", os.path.join(self.dir, "sshd_config")])
        self.sshd = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "/usr/sbin/sshd", "-D", "-e", "-f", os.path.join(self.dir, "sshd_config")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "sshd.log"), "wb"), start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            r = subprocess.run(["ip", "netns", "exec", self.ns, *self.ssh_cmd(), "true"], capture_output=True, timeout=20)
            if r.returncode == 0:
                break
            if time.monotonic() > deadline or self.sshd.poll() is not None:
                raise RuntimeError(f"sshd in namespace {self.ns} did not accept the test key: {r.stderr.decode()[-400:]}")
            time.sleep(0.2)

    def _write(self, name: str, text: str, mode: int) -> None:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    @property
    def sshd_pid(self) -> int:
        assert self.sshd is not None
        return self.sshd.pid  # ip netns exec execs sshd in place: same pid

    def ssh_options(self) -> list[str]:
        return ["-F", "none", "-p", str(SSH_PORT), "-i", os.path.join(self.dir, "client_key"),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={os.path.join(self.dir, 'known_hosts')}", "-o", "ConnectTimeout=15"]

    def ssh_cmd(self) -> list[str]:
        return ["ssh", *self.ssh_options(), "root@127.0.0.1"]

    def set_link(self, name: str) -> None:
        rate, burst = LINKS[name]
        run(["tc", "-n", self.ns, "qdisc", "replace", "dev", "lo", "root", "tbf",
             "rate", rate, "burst", burst, "latency", "50ms"])
        self.link = name

    # --- counters -----------------------------------------------------------------------------------
    def wire_bytes(self) -> int:
        """Bytes sent on the namespace's loopback: every byte between host and pod, both directions,
        with TCP/IP headers (loopback counts each packet once as sent)."""
        with open(f"/proc/{self.sshd_pid}/net/dev") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name.strip() == "lo":
                    return int(rest.split()[8])
        raise RuntimeError("no lo in the namespace")

    def host_io(self) -> dict[str, int]:
        """I/O of the host side: sshd's /proc/<pid>/io, which (once a child is reaped) includes every
        exited session process below it: sshd session, tar, rsync, sftp-server."""
        self.wait_sessions_reaped()
        return read_proc_io(self.sshd_pid)

    def host_cpu_seconds(self) -> float:
        """CPU (user + system) of the host side's reaped session processes: sshd's cutime + cstime."""
        self.wait_sessions_reaped()
        return reaped_cpu_seconds(self.sshd_pid)

    def wait_sessions_reaped(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not children(self.sshd_pid):
                return
            time.sleep(0.05)

    # --- tear-down ----------------------------------------------------------------------------------
    def close(self) -> None:
        if self.ns_created:
            for pid in ns_pids(self.ns):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while ns_pids(self.ns) and time.monotonic() < deadline:
                time.sleep(0.1)
            for pid in ns_pids(self.ns):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.sshd is not None:
            try:
                self.sshd.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
            self.sshd = None
        if self.ns_created:
            subprocess.run(["ip", "netns", "del", self.ns], check=False, timeout=30)
            self.ns_created = False


def read_proc_io(pid: int | str) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k.strip()] = int(v)
    return out


def reaped_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def parse_proc_io(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        if v.strip():
            out[k.strip()] = int(v)
    return out


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def ns_pids(ns: str) -> list[int]:
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=30)
    return [int(x) for x in r.stdout.split()] if r.returncode == 0 else []
