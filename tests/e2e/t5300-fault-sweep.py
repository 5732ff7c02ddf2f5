#!/usr/bin/python3
"""t5300 -- a short stride of the fault sweeps of `make test-faults`
(tests/faults/sweep.py, issue 16): the system calls, the stdio calls and
the printf family libxlsxwriter writes with, failed one index in many by
the LD_PRELOAD shim; a real full disk on tmpfs for the output and the
database folder (root only); allocation failures. Each point: exit 73 or
70 (0 only with the uninterrupted run's bytes), no incomplete file under a
final name, integrity_check ok, a clean rerun equal to the uninterrupted
run with no temporary file left. `make test-faults` runs every index.

Last line: "N passed, N failed, N skipped" (a skip is not a pass: tmpfs
needs root and mount(2); valgrind cannot run under the shim)."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("SVCRECON", os.path.join(ROOT, "svcrecon")))
BUILD = os.environ.get("SVCRECON_BUILD", "build")
SHIM = os.path.join(ROOT, BUILD, "tests", "faultshim.so")
VALGRIND = "valgrind" in BIN or bool(os.environ.get("VALGRIND"))

SWEEPS = [
    ("syscalls", ["calls", "--stride", "13", "--offset", "4"]),
    ("stdio", ["calls", "--calls", "fwrite,fputs,fputc,fflush,fclose",
               "--stride", "157", "--offset", "11"]),
    ("printf", ["calls", "--calls", "fprintf", "--stride", "211",
                "--offset", "17"]),
    ("tmpfs-out", ["tmpfs", "--where", "out", "--sizes", "4:64:6"]),
    ("tmpfs-db", ["tmpfs", "--where", "db", "--sizes", "64:1984:160"]),
    ("alloc", ["alloc", "--stride", "701", "--offset", "5"]),
]


def main():
    passed = failed = skipped = 0
    for name, args in SWEEPS:
        if VALGRIND:
            print("SKIP %s: not under valgrind (the shim and valgrind both "
                  "replace these calls)" % name)
            skipped += 1
            continue
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tests",
                            "faults", "sweep.py")] + args +
                           ["--svcrecon", BIN, "--shim", SHIM],
                           capture_output=True, text=True, timeout=1800)
        last = (p.stdout.strip().splitlines() or ["(no output)"])[-1]
        if p.returncode == 0:
            print("ok   %s: %s" % (name, last))
            passed += 1
        elif p.returncode == 2 and "SKIP" in p.stdout:
            print("SKIP %s: %s" % (name, last))
            skipped += 1
        else:
            print("FAIL %s:\n%s%s" % (name, p.stdout[-3000:], p.stderr[-2000:]))
            failed += 1
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed or not (passed or skipped) else 0)


if __name__ == "__main__":
    main()
