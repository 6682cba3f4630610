#!/usr/bin/env python3
"""Generates containerd-runtime-default.json from containerd's contrib/seccomp/seccomp_default.go.

Run once per containerd version (the output is committed; the harness never regenerates it):

    git -C CONTAINERD show COMMIT:contrib/seccomp/seccomp_default.go > /tmp/seccomp_default.go
    python3 generate.py /tmp/seccomp_default.go COMMIT "$(git -C CONTAINERD describe --tags COMMIT)" > containerd-runtime-default.json

containerd builds the profile in Go code (DefaultProfile): one allow list, rules added by kernel version,
by architecture and per capability in the container's bounding set, and a clone/clone3 restriction when
CAP_SYS_ADMIN is absent. This keeps each rule with the condition containerd attaches to it ("when"), for
amd64 only, so the harness can assemble exactly the profile containerd would give a pod's capabilities.
"""
import json
import re
import sys

CONSTANTS = {  # golang.org/x/sys/unix values on linux/amd64
    "unix.AF_ALG": 38, "unix.AF_VSOCK": 40,
    "unix.CLONE_NEWNS": 0x20000, "unix.CLONE_NEWUTS": 0x4000000, "unix.CLONE_NEWIPC": 0x8000000,
    "unix.CLONE_NEWUSER": 0x10000000, "unix.CLONE_NEWPID": 0x20000000, "unix.CLONE_NEWNET": 0x40000000,
    "unix.CLONE_NEWCGROUP": 0x2000000, "unix.ENOSYS": 38,
}
OPS = {"OpNotEqual": "SCMP_CMP_NE", "OpLessThan": "SCMP_CMP_LT", "OpLessEqual": "SCMP_CMP_LE",
       "OpEqualTo": "SCMP_CMP_EQ", "OpGreaterEqual": "SCMP_CMP_GE", "OpGreaterThan": "SCMP_CMP_GT",
       "OpMaskedEqual": "SCMP_CMP_MASKED_EQ"}
ACTIONS = {"ActAllow": "SCMP_ACT_ALLOW", "ActErrno": "SCMP_ACT_ERRNO", "ActKill": "SCMP_ACT_KILL"}


def value(expr):
    expr = expr.strip()
    total = None
    for part in expr.split("|"):
        part = part.strip()
        m = re.fullmatch(r"(\S+)\s*\+\s*(\d+)", part)
        v = (CONSTANTS[m.group(1)] + int(m.group(2))) if m else (CONSTANTS[part] if part in CONSTANTS else int(part, 0))
        total = v if total is None else total | v
    return total


def literal_end(text, start):
    """Index just past the brace block that opens at text[start] == '{'."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced braces")


def parse_rule(body):
    names = re.search(r"Names:\s*\[\]string\{(.*?)\}", body, re.S)
    action = re.search(r"Action:\s*specs\.(\w+)", body).group(1)
    rule = {"names": re.findall(r'"([^"]+)"', names.group(1)), "action": ACTIONS[action]}
    args = []
    for a in re.finditer(r"\{\s*Index:\s*(\d+),\s*Value:\s*([^,]+),\s*(?:ValueTwo:\s*([^,]+),\s*)?Op:\s*specs\.(\w+),?\s*\}", body):
        args.append({"index": int(a.group(1)), "value": value(a.group(2)),
                     "valueTwo": value(a.group(3)) if a.group(3) else 0, "op": OPS[a.group(4)]})
    rule["args"] = args
    errno = re.search(r"ErrnoRet:\s*&(\w+)", body)
    if errno:
        rule["errnoRet"] = CONSTANTS["unix.ENOSYS"] if errno.group(1) == "nosys" else value(errno.group(1))
    return rule


def main(path, commit, version):
    text = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
    fn = text.index("func DefaultProfile(")
    rules = []
    # 1. the unconditional list
    start = text.index("syscalls := []specs.LinuxSyscall{", fn)
    open_brace = text.index("{", start + len("syscalls := []specs.LinuxSyscall"))
    end = literal_end(text, open_brace)
    i = open_brace + 1
    while True:
        j = text.find("{", i, end - 1)
        if j < 0:
            break
        k = literal_end(text, j)
        rules.append(parse_rule(text[j:k]))
        i = k
    # 2. the appended rules, each with the condition it sits under
    kernel = text.index("kernelversion.GreaterEqualThan(", end)
    arch = text.index("switch runtime.GOARCH", kernel)
    caps = text.index("range sp.Process.Capabilities.Bounding", arch)
    not_admin = text.index("if !admin", caps)
    kv = re.search(r"KernelVersion\{Kernel:\s*(\d+),\s*Major:\s*(\d+)\}", text[kernel:arch])
    for m in re.finditer(r"specs\.LinuxSyscall\{", text[end:]):
        pos = end + m.start()
        body = text[pos + m.end() - m.start() - 1:literal_end(text, pos + m.end() - m.start() - 1)]
        rule = parse_rule(body)
        case = list(re.finditer(r'(case ([^:]+)|default):', text[:pos]))
        label = case[-1].group(0) if case else ""
        if kernel <= pos < arch:
            rule["when"] = {"minKernel": f"{kv.group(1)}.{kv.group(2)}"}
        elif arch <= pos < caps:
            if '"amd64"' not in label:
                continue
        elif caps <= pos < not_admin:
            rule["when"] = {"capability": re.search(r'"(CAP_\w+)"', label).group(1)}
        elif pos >= not_admin:
            if label != "default:" and '"amd64"' not in label:
                continue
            rule["when"] = {"withoutCapability": "CAP_SYS_ADMIN"}
        rules.append(rule)
    profile = {
        "origin": "containerd contrib/seccomp/seccomp_default.go, DefaultProfile (the CRI RuntimeDefault profile)",
        "commit": commit,
        "version": version,
        "architecture": "amd64",
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "rules": rules,
    }
    json.dump(profile, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
