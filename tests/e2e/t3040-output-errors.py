#!/usr/bin/python3
"""t3040-output-errors.py -- SPEC §4/§5: outputs that cannot be created.

  * --out under a regular file: exit 73, the message names the folder, and
    no *.xlsx (nor temporary file) is left anywhere;
  * a missing --out is created with its parents (mkdir -p);
  * a workbook that cannot be renamed into place (a folder of that name is
    in the way): exit 73 naming the path, its temporary file removed;
  * the temporary file of a killed run (its PID gone) is removed by the
    next run; one of a live process is left alone;
  * the run's own temporary folder (.svcrecon-tmp-PID, where
    libxlsxwriter's files go too) is gone after a run, whatever it held,
    and a killed run's folder (with libxlsxwriter's tmp.XXXXXXXXXX left
    in it) is removed by the next run (issue 16).
Last line: "N passed, N failed".
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xlsx_helpers import (AS_OF, build_night, eq, main, run,  # noqa: E402
                          test, workbook_paths)


def setup(tmp):
    return {"db": build_night(tmp), "tmp": tmp}


def report(c, out):
    return run("report", "--db", c["db"], "--out", out, "--as-of", AS_OF,
               "--quiet")


@test
def test_out_under_regular_file_is_73(c):
    blocker = os.path.join(c["tmp"], "plain-file")
    with open(blocker, "w") as f:
        f.write("not a folder\n")
    out = os.path.join(blocker, "sub", "out")
    p = report(c, out)
    eq(p.returncode, 73, "exit status")
    err = p.stderr.decode()
    if blocker not in err:
        raise AssertionError("message does not name the folder: %r" % err)
    left = [f for f in glob.glob(os.path.join(c["tmp"], "**", "*"),
                                 recursive=True)
            if ".xlsx" in os.path.basename(f)]
    eq(left, [], "workbooks or temporary files left")


@test
def test_out_is_a_regular_file_is_73(c):
    blocker = os.path.join(c["tmp"], "plain-file-2")
    with open(blocker, "w") as f:
        f.write("x")
    eq(report(c, blocker).returncode, 73, "exit status")


@test
def test_missing_out_created_with_parents(c):
    out = os.path.join(c["tmp"], "new", "deeper", "out")
    eq(report(c, out).returncode, 0, "exit status")
    for p in workbook_paths(out).values():
        if not os.path.isfile(p):
            raise AssertionError("missing %s" % p)


@test
def test_rename_blocked_is_73_and_cleans_up(c):
    out = os.path.join(c["tmp"], "blocked")
    target = workbook_paths(out)["non_compensable"]
    os.makedirs(os.path.join(target, "inside"))
    p = report(c, out)
    eq(p.returncode, 73, "exit status")
    if target not in p.stderr.decode():
        raise AssertionError("message does not name %s: %r" % (
            target, p.stderr.decode()))
    left = [f for f in os.listdir(out) if "tmp" in f]
    eq(left, [], "temporary files left")
    # what was complete before the failure is in place and whole
    if not os.path.isfile(workbook_paths(out)["unclosed_calls"]):
        raise AssertionError("the complete workbook before it is missing")


@test
def test_stale_temporary_removed_live_one_kept(c):
    out = os.path.join(c["tmp"], "stale")
    os.makedirs(out)
    dead = os.path.join(out, ".audit_%s.xlsx.tmp-%d" % (AS_OF, 4194303))
    live = os.path.join(out, ".audit_%s.xlsx.tmp-%d" % (AS_OF, os.getpid()))
    other = os.path.join(out, ".notes.xlsx.tmp-4194303")
    for f in (dead, live, other):
        with open(f, "w") as fh:
            fh.write("partial")
    eq(report(c, out).returncode, 0, "exit status")
    eq(os.path.exists(dead), False, "dead run's temporary removed")
    eq(os.path.exists(live), True, "live process's temporary kept")
    eq(os.path.exists(other), True, "a file that is not ours kept")



@test
def test_run_temporary_folders(c):
    out = os.path.join(c["tmp"], "tmpdirs")
    os.makedirs(out)
    dead = os.path.join(out, ".svcrecon-tmp-4194303")
    live = os.path.join(out, ".svcrecon-tmp-%d" % os.getpid())
    for d in (dead, live):
        os.makedirs(d)
        with open(os.path.join(d, "tmp.AbCdEfGhIj"), "w") as fh:
            fh.write("<worksheet>cut sh")
    eq(report(c, out).returncode, 0, "exit status")
    eq(sorted(os.listdir(out)), sorted(
        [os.path.basename(p) for p in workbook_paths(out).values()] +
        [os.path.basename(live)]),
        "the dead run's folder and this run's own are gone, a live one kept")
    eq(os.listdir(live), ["tmp.AbCdEfGhIj"], "a live run's files kept")


if __name__ == "__main__":
    main(setup)
