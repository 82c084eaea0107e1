#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Helpers of systemd_units_test.sh, each a check systemd itself would otherwise make only
# at run time (there is no systemd as PID 1 here):
#   env FILE            reads an EnvironmentFile= with systemd's own parser (the
#                       environment.d generator shares it) and prints NAME=VALUE lines
#                       for the KAMINARI_* variables, one per line, exactly as systemd
#                       would pass them
#   sandbox UNIT TRACE...  checks strace -f logs against the unit's SystemCallFilter=,
#                       RestrictAddressFamilies=, MemoryDenyWriteExecute=,
#                       ProtectSystem=strict and ProcSubset=pid
# Exit status 1 with one line per problem on stderr.
import os
import re
import shlex
import subprocess
import sys
import tempfile

GENERATOR = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator"


def read_env(path):
    text = open(path, encoding="utf-8").read()
    # environment.d also expands $VAR and ${VAR}, which EnvironmentFile= does not: with a
    # '$' in the file the two parsers would differ, and this check would prove nothing.
    if "$" in text:
        sys.exit(f"{path}: contains '$'; the environment.d parser would expand it")
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, "environment.d"))
        with open(os.path.join(home, "environment.d", "50-kaminari.conf"), "w", encoding="utf-8") as f:
            f.write(text)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "XDG_CONFIG_HOME": home}
        out = subprocess.run([GENERATOR], env=env, capture_output=True, text=True, check=True).stdout
    # The generator prints NAME=VALUE with shell double-quoting where needed.
    for line in out.splitlines():
        name, _, value = line.partition("=")
        if name.startswith("KAMINARI_"):
            words = shlex.split(value) if value else [""]
            if len(words) != 1:
                sys.exit(f"{path}: {name}: the generator printed {value!r}, not one value")
            print(f"{name}={words[0]}")


def syscall_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(items, groups):
    names = set()
    for item in items:
        if item.startswith("@"):
            if item not in groups:
                sys.exit(f"unknown system call group {item}")
            names |= expand(groups[item], groups)
        else:
            names.add(item)
    return names


def unit_settings(path):
    settings = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([A-Za-z]+)=(.*)$", line.rstrip("\n"))
        if m:
            settings.setdefault(m.group(1), []).append(m.group(2))
    return settings


def allowed_syscalls(settings):
    groups = syscall_groups()
    allow, deny = set(), set()
    for value in settings.get("SystemCallFilter", []):
        if value.startswith("~"):
            deny |= expand(value[1:].split(), groups)
        else:
            allow |= expand(value.split(), groups)
    if not allow:
        sys.exit("the unit has no SystemCallFilter= allow list")
    return allow - deny


CALL = re.compile(r"^\d+\s+([a-z0-9_]+)\((.*)")
PID_DIR = re.compile(r"^/proc/(self|thread-self|\d+)(/|$)")
# Read by glibc's malloc before it shrinks a thread's heap; with ProcSubset=pid the open
# fails and malloc falls back to madvise(MADV_DONTNEED), which is just as correct.
PROC_FALLBACKS = {"/proc/sys/vm/overcommit_memory"}


def check_trace(path, settings, allowed, problems):
    families = set(" ".join(settings.get("RestrictAddressFamilies", [])).split())
    used = set()
    for line in open(path, encoding="utf-8", errors="replace"):
        m = CALL.match(line)
        if not m:
            continue
        name, args = m.groups()
        used.add(name)
        where = f"{os.path.basename(path)}: {line.strip()[:160]}"
        if name in ("socket", "socketpair"):
            family = args.split(",")[0].strip()
            if family not in families:
                problems.append(f"{where}: {family} is not in RestrictAddressFamilies=")
        if name in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in args and "PROT_EXEC" in args:
            problems.append(f"{where}: writable and executable memory (MemoryDenyWriteExecute=yes)")
        if name in ("open", "openat", "creat"):
            file = re.search(r'"([^"]*)"', args)
            file = file.group(1) if file else ""
            writes = re.search(r"O_WRONLY|O_RDWR|O_CREAT", args) or name == "creat"
            if writes and not re.match(r"^(/dev/null|/tmp/)", file):
                problems.append(f"{where}: writes a file (ProtectSystem=strict makes it read-only)")
            if file.startswith("/proc/") and not PID_DIR.match(file) and file not in PROC_FALLBACKS:
                problems.append(f"{where}: /proc outside its own process (ProcSubset=pid)")
    for name in sorted(used - allowed):
        problems.append(f"{os.path.basename(path)}: system call {name} is outside SystemCallFilter=")
    print(f"{os.path.basename(path)}: {len(used)} distinct system calls, all checked: {' '.join(sorted(used))}")


def sandbox(unit, traces):
    settings = unit_settings(unit)
    allowed = allowed_syscalls(settings)
    problems = []
    for trace in traces:
        check_trace(trace, settings, allowed, problems)
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    return 1 if problems else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "env":
        read_env(sys.argv[2])
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "sandbox":
        return sandbox(sys.argv[2], sys.argv[3:])
    sys.exit("usage: systemd_units.py env FILE | sandbox UNIT TRACE...")


if __name__ == "__main__":
    sys.exit(main())
