#!/usr/bin/python3
"""sweep.py -- fault sweeps over a small night (issue 16; README.md here).

Three sweeps, each over one small night (tests/faults/night/: three files,
two calls, one closeout each way):

  calls  -- the LD_PRELOAD shim (faultshim.so) fails the Nth counted call
            of the chosen system or stdio calls with ENOSPC or EIO, once or
            from then on, for N = 1, 1 + stride, ...;
  tmpfs  -- a real full disk: the output folder, or the database folder, on
            a tmpfs of each size in a range (needs root and mount(2));
  alloc  -- SVCRECON_FAULT_MALLOC=N makes the Nth allocation fail (SQLite's
            through sqlite3_config(SQLITE_CONFIG_MALLOC), ours through
            the same counter): every point must exit 70 with a message, or
            0 with the uninterrupted run's bytes.

Every point asserts: the exit status is 73 or 70 (66 only when the failed
call opened an input file; 0 only when the workbooks are the uninterrupted
run's bytes); no crash; a message on stderr for every failure; every file
under a final name in the output folder is whole (a zip whose every part
inflates and whose XML parts parse; the summary JSON parses); PRAGMA
integrity_check is ok; and a clean rerun (no fault) exits 0 with the
uninterrupted run's workbooks, byte for byte, and leaves no temporary file.

  sweep.py calls --svcrecon BIN --shim SO [--calls LIST] [--stride N]
  sweep.py tmpfs --svcrecon BIN [--sizes FROM:TO:STEP] [--where out|db]
  sweep.py alloc --svcrecon BIN [--stride N]

Last line: "SWEEP: P points: OUTCOMES; N failed" (exit 1 if any failed,
2 if the sweep could not run, e.g. tmpfs without root: "SKIP ...").
"""
import argparse
import collections
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import xml.dom.minidom
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NIGHT = os.path.join(HERE, "night")
AS_OF = "2026-03-12"
BOOKS = ["unclosed_calls", "non_compensable", "audit"]


def books(out):
    return {b: os.path.join(out, "%s_%s.xlsx" % (b, AS_OF)) for b in BOOKS}


def run(bin_, work, env=None, out=None, db_dir=None):
    """One `svcrecon run` of the night into work/out with work/svc.db."""
    out = out or os.path.join(work, "out")
    db = os.path.join(db_dir or work, "svc.db")
    e = dict(os.environ, TZ="UTC", LSAN_OPTIONS="suppressions=" +
             os.path.join(HERE, "lsan.supp"))
    e.update(env or {})
    p = subprocess.run([bin_, "run", "--db", db, "--inbox", NIGHT,
                        "--out", out, "--as-of", AS_OF, "--quiet",
                        "--summary", os.path.join(out, "summary.json")],
                       env=e, capture_output=True, timeout=300)
    return p, out, db


def whole(path):
    """None when the file under a final name is whole, else why not."""
    name = os.path.basename(path)
    try:
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
                if bad:
                    return "%s: part %s does not inflate" % (name, bad)
                for part in z.namelist():
                    if part.endswith((".xml", ".rels")):
                        xml.dom.minidom.parseString(z.read(part))
        elif name.endswith(".json"):
            with open(path) as f:
                json.load(f)
    except Exception as e:  # any reader's complaint is the finding
        return "%s: %s: %s" % (name, type(e).__name__, e)
    return None


def check_db(db):
    """integrity_check of what the run left on disk: the database and its
    WAL, copied to a plain folder first. Opened where it lies, on a disk
    that is still full, a WAL database cannot be read at all (the reader
    must size the -shm index, which is rebuilt from the WAL anyway): a
    "disk I/O error" that says nothing of the database."""
    if not os.path.exists(db):
        return None
    where = tempfile.mkdtemp(prefix="svcrecon-check-")
    try:
        copy = os.path.join(where, "svc.db")
        for ext in ("", "-wal"):
            if os.path.exists(db + ext):
                shutil.copyfile(db + ext, copy + ext)
        con = sqlite3.connect(copy)
        try:
            got = con.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.Error as e:
            return "database: %s" % e
        finally:
            con.close()
    finally:
        shutil.rmtree(where, ignore_errors=True)
    return None if got == [("ok",)] else "integrity_check: %r" % got


def leftovers(folder):
    """Temporary files (ours or the library's) left in a folder."""
    if not os.path.isdir(folder):
        return []
    return sorted(f for f in os.listdir(folder)
                  if f.startswith(".") or "tmp" in f)


class Sweep:
    def __init__(self, name, bin_, baseline):
        self.name = name
        self.bin = bin_
        self.baseline = baseline          # {book: bytes}
        self.outcomes = collections.Counter()
        self.failures = []

    def fail(self, point, why):
        self.failures.append("%s point %s: %s" % (self.name, point, why))

    def judge(self, point, p, out, db, allow66=False, rc_ok=(70, 73)):
        """The fault run's result; returns the outcome's name."""
        rc = p.returncode
        err = p.stderr.decode("utf-8", "replace")
        same = rc == 0 and all(
            os.path.exists(f) and open(f, "rb").read() == self.baseline[b]
            for b, f in books(out).items())
        if rc < 0:
            self.fail(point, "crashed (signal %d): %s" % (-rc, err[-300:]))
        elif rc == 0 and not same:
            self.fail(point, "exit 0 but the workbooks differ from the "
                      "uninterrupted run's")
        elif rc not in (0,) + tuple(rc_ok) and not (rc == 66 and allow66):
            self.fail(point, "exit %d: %s" % (rc, err[-300:]))
        elif rc != 0 and "svcrecon: " not in err:
            self.fail(point, "exit %d without a message" % rc)
        if os.path.isdir(out):
            for f in sorted(os.listdir(out)):
                if not f.startswith("."):
                    why = whole(os.path.join(out, f))
                    if why:
                        self.fail(point, "incomplete under a final name: "
                                  + why)
        why = check_db(db)
        if why:
            self.fail(point, why)
        outcome = "exit 0 (same bytes)" if same else "exit %d" % rc
        self.outcomes[outcome] += 1
        return outcome

    def rerun(self, point, work, out=None, db_dir=None, unreadable=False):
        """unreadable: the fault run ended 66, an input file it could not
        open. That attempt is part of the night (README "The audit's
        night": a file that cannot be opened is recorded as an unreadable
        delivery, and its reason is a row of Rejected rows), so the
        rerun's audit names it: it is checked for that, not for the
        uninterrupted run's bytes; the other workbooks still are."""
        p, out, db = run(self.bin, work, out=out, db_dir=db_dir)
        if p.returncode != 0:
            self.fail(point, "the clean rerun exits %d: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))
            return
        for b, f in books(out).items():
            if unreadable and b == "audit":
                with zipfile.ZipFile(f) as z:
                    xml_all = b"".join(z.read(n) for n in z.namelist()
                                       if n.startswith("xl/worksheets/"))
                # "cannot open" (the first open failed) or "cannot read"
                # (the hash's own open of the file, or its read)
                if b"0 refused, 1 unreadable" not in xml_all or (
                        b"cannot open: " not in xml_all and
                        b"cannot read: " not in xml_all):
                    self.fail(point, "the clean rerun's audit does not name "
                              "the file the fault run could not open")
                continue
            if open(f, "rb").read() != self.baseline[b]:
                self.fail(point, "the clean rerun's %s differs from the "
                          "uninterrupted run's" % b)
        left = leftovers(out) + leftovers(db_dir or work)
        if left:
            self.fail(point, "temporary files left after the rerun: %r"
                      % left)
        why = check_db(db)
        if why:
            self.fail(point, "after the rerun: " + why)

    def report(self, points):
        got = ", ".join("%s %d" % (k, v)
                        for k, v in sorted(self.outcomes.items()))
        for f in self.failures[:20]:
            print("FAIL " + f)
        print("%s: %d points: %s; %d failed" % (
            self.name, points, got or "none", len(self.failures)))
        return 1 if self.failures else 0


def fresh(tmp):
    """The work folder of a point: always the same path, since the audit
    workbook names the database (its path) on its Run sheet."""
    work = os.path.join(tmp, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return work


def baseline(bin_, tmp, env=None):
    work = fresh(tmp)
    p, out, db = run(bin_, work, env=env)
    if p.returncode != 0:
        sys.exit("sweep: the uninterrupted run fails (exit %d): %s" % (
            p.returncode, p.stderr.decode()))
    return {b: open(f, "rb").read() for b, f in books(out).items()}, work


def count_calls(log):
    n = 0
    with open(log) as f:
        for line in f:
            if line.startswith("calls "):
                n = int(line.split()[1])
    return n


def sweep_calls(a, tmp):
    env = {"LD_PRELOAD": a.shim, "FAULT_CALLS": a.calls,
           "ASAN_OPTIONS": "verify_asan_link_order=0:" +
                           os.environ.get("ASAN_OPTIONS", "")}
    log = os.path.join(tmp, "count.log")
    base, _ = baseline(a.svcrecon, tmp, dict(env, FAULT_LOG=log))
    n = count_calls(log)
    s = Sweep("calls %s" % a.calls, a.svcrecon, base)
    points = 0
    for at in range(1 + a.offset, n + 1, a.stride):
        k = (at - 1) // a.stride
        work = fresh(tmp)
        flog = os.path.join(work, "fault.log")
        mode = "sticky" if k % 2 else "once"
        errno = "EIO" if k % 4 >= 2 else "ENOSPC"
        p, out, db = run(a.svcrecon, work, env=dict(
            env, FAULT_AT=str(at), FAULT_MODE=mode, FAULT_ERRNO=errno,
            FAULT_LOG=flog))
        fault = open(flog).read() if os.path.exists(flog) else ""
        first = [l for l in fault.splitlines() if l.startswith("fault ")][:1]
        # 66: the call that failed opened an input (the inbox or a file)
        input_open = bool(first) and first[0].split()[2] == "openat" and \
            NIGHT in first[0]
        point = "%d/%d (%s %s %s)" % (at, n, mode, errno,
                                       first[0] if first else "no fault")
        s.judge(point, p, out, db, allow66=input_open)
        s.rerun(point, work, unreadable=input_open and p.returncode == 66)
        shutil.rmtree(work, ignore_errors=True)
        points += 1
    return s.report(points)


def sweep_alloc(a, tmp):
    a.svcrecon = os.path.join(os.path.dirname(a.svcrecon), "tests",
                              "svcrecon-allocfail")
    if not os.path.exists(a.svcrecon):
        print("alloc: SKIP: no %s (make unit-bins builds it)" % a.svcrecon)
        return 2
    base, _ = baseline(a.svcrecon, tmp)
    log = os.path.join(tmp, "count.log")
    p, _, _ = run(a.svcrecon, fresh(tmp), env={
        "SVCRECON_FAULT_MALLOC": "0", "SVCRECON_FAULT_LOG": log})
    n = count_calls(log)
    if n == 0:
        print("alloc: SKIP: the binary counts no allocations "
              "(SVCRECON_FAULT_MALLOC not compiled in?)")
        return 2
    s = Sweep("alloc", a.svcrecon, base)
    points = 0
    for at in range(1 + a.offset, n + 1, a.stride):
        work = fresh(tmp)
        sticky = (at - 1) // a.stride % 2
        p, out, db = run(a.svcrecon, work, env={
            "SVCRECON_FAULT_MALLOC": str(at),
            "SVCRECON_FAULT_MALLOC_MODE": "sticky" if sticky else "once"})
        point = "%d/%d %s" % (at, n, "sticky" if sticky else "once")
        s.judge(point, p, out, db, rc_ok=(70,))
        s.rerun(point, work)
        shutil.rmtree(work, ignore_errors=True)
        points += 1
    return s.report(points)


def mount_tmpfs(path, kib):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % kib,
                           "tmpfs", path], capture_output=True).returncode == 0


def tmpfs_paths(work, where):
    disk = os.path.join(work, "disk")
    out = os.path.join(disk, "out") if where == "out" else None
    return disk, out, disk if where == "db" else None


def sweep_tmpfs(a, tmp):
    # The baseline with the same paths, on a plain folder: the audit
    # workbook names the database's path.
    work = fresh(tmp)
    disk, out, db_dir = tmpfs_paths(work, a.where)
    os.makedirs(disk)
    p, out, db = run(a.svcrecon, work, out=out, db_dir=db_dir)
    if p.returncode != 0:
        sys.exit("sweep: the uninterrupted run fails (exit %d): %s" % (
            p.returncode, p.stderr.decode()))
    base = {b: open(f, "rb").read() for b, f in books(out).items()}
    probe = os.path.join(tmp, "probe")
    if os.geteuid() != 0 or not mount_tmpfs(probe, 64):
        print("tmpfs: SKIP: mounting a tmpfs needs root and mount(2) "
              "(not allowed here)")
        return 2
    subprocess.run(["umount", probe])
    lo, hi, step = (int(x) for x in a.sizes.split(":"))
    s = Sweep("tmpfs %s" % a.where, a.svcrecon, base)
    points = 0
    for kib in range(lo, hi + 1, step):
        work = fresh(tmp)
        disk, out, db_dir = tmpfs_paths(work, a.where)
        if not mount_tmpfs(disk, kib):
            s.fail(kib, "cannot mount a tmpfs of %d KiB" % kib)
            continue
        try:
            p, out, db = run(a.svcrecon, work, out=out, db_dir=db_dir)
            s.judge("%d KiB" % kib, p, out, db)
        finally:
            subprocess.run(["umount", "-l", disk])
        # The rerun: the same folders, now with room (a plain folder).
        s.rerun("%d KiB" % kib, work, out=out, db_dir=db_dir)
        shutil.rmtree(work, ignore_errors=True)
        points += 1
    return s.report(points)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["calls", "tmpfs", "alloc"])
    ap.add_argument("--svcrecon", required=True)
    ap.add_argument("--shim")
    ap.add_argument("--calls", default="write,pwrite,fsync,fdatasync,"
                    "rename,openat,unlink")
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--sizes", default="40:600:20")
    ap.add_argument("--where", choices=["out", "db"], default="out")
    a = ap.parse_args()
    a.svcrecon = os.path.abspath(a.svcrecon)
    tmp = tempfile.mkdtemp(prefix="svcrecon-sweep-")
    try:
        rc = {"calls": sweep_calls, "tmpfs": sweep_tmpfs,
              "alloc": sweep_alloc}[a.kind](a, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
