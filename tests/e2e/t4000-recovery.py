#!/usr/bin/python3
"""t4000 -- crash safety (SPEC §6): a run killed with SIGKILL at several
points (mid-file, between files, mid-workbook), then run again with the same
command, ends with the same database content and byte-identical workbooks
as an uninterrupted run; and a re-run of a finished night changes nothing."""
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SANITIZED, VALGRIND, Tmp,  # noqa: E402
                     check, cmd, eq, kill_on, main, query, schema_of, sha256, snapshot, svc,
                     writing_a_workbook)

# Big enough that kills land mid-file; smaller where every step is slower
# (PostgreSQL: a round trip a row, about 4,000 rows/s on a local socket).
N = 3000 if VALGRIND else 25000 if SANITIZED or ON_PG else 60000
CLOCK = ("imported_at", "recorded_at", "delivered_at")   # wall-clock columns
AS_OF = "2026-03-12"


def make_inbox(t):
    rnd = random.Random(7)
    regs, disp, clos = [], [], []
    for i in range(N // 5):
        regs.append("D%d,Dealer %d,iPF8400S,SN%06d,2025-01-%02d,%s," % (
            i % 40, i % 40, i, 1 + i % 28, "Y" if i % 50 == 0 else "N"))
    for i in range(N):
        day = 1 + i % 60
        disp.append("C%07d,2026-%02d-%02d 09:%02d,iPF8400S,SN%06d,D%d,Customer %d,10001,P1,%s" % (
            i, 1 + (day - 1) // 31, 1 + (day - 1) % 28, i % 60, i % (N // 5),
            (i % (N // 5)) % 40, i, "CANCELLED" if i % 97 == 0 else "OPEN"))
        if rnd.random() < 0.9:
            clos.append("D%d,2026-03-%02d 12:00:%02d,C%07d,SN%06d,iPF8400S,2026-03-01,Tech,%s,R1," % (
                (i % (N // 5)) % 40 if rnd.random() < 0.95 else 99, 1 + i % 28, i % 60, i,
                i % (N // 5), "1.5" if rnd.random() < 0.97 else "0"))
    t.csv("inbox/registrations_1.csv", REG_HDR, regs)
    t.csv("inbox/dispatches_1.csv", DSP_HDR, disp[: N // 2])
    t.csv("inbox/dispatches_2.csv", DSP_HDR, disp[N // 2:])
    t.csv("inbox/closeouts_1.csv", CLO_HDR, clos)


def workbooks(out):
    return {n: sha256(os.path.join(out, n)) for n in sorted(os.listdir(out))}


def run_args(t, out):
    return ["run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out", out,
            "--as-of", AS_OF, "--quiet"]


def bar(name, rows):
    """The progress bar of the file `name` showing `rows` rows (16,384 is its
    first count after the start; 0 is the bar of a file just opened)."""
    return r"  %s +[0-9.]+%%  %d rows" % (re.escape(name), rows)


# The steps of a run, in order, as it says them on a terminal. Mid-file
# needs a file of more than 16,384 rows (the bar's first count), else the
# file's first bar. None: a workbook is being written (its temporary
# folder holds a file), which it does not say.
MID = 16384 if N // 2 > 16384 else 0
STEPS = [
    ("early import, mid-file", bar("registrations_1.csv", 0)),
    ("mid-file", bar("dispatches_1.csv", MID)),
    ("mid-file", bar("dispatches_2.csv", MID)),
    ("mid-file", bar("closeouts_1.csv", MID)),
    ("every file in, the rules", r"reconciling as of"),
    ("mid-workbook", None),
    ("between workbooks", r"wrote \S+/unclosed_calls_"),
    ("the last workbook", r"wrote \S+/non_compensable_"),
]


def reached(k, out):
    """Kill k's event: the run reached step k or a later one. Each killed
    run keeps the files it committed, so a kill that landed late (a busy
    machine) moves the next run on; the next kill then fires at the next
    step this run reaches, instead of waiting for one it skips."""
    def ready(text, pid):
        for _, pattern in STEPS[k:]:
            if pattern is None:
                if writing_a_workbook(out, pid):
                    return True
            elif re.search(pattern, text):
                return True
        return False
    return ready


def indexes(db):
    """SQLite: every index of db, with its definition; a first night's
    files drop some and build them again (etl/load.c, drop_indexes), in
    the file's transaction. Else None (PostgreSQL keeps its indexes)."""
    if ON_PG:
        return None
    return query(db, "SELECT name, tbl_name, sql FROM sqlite_master "
                     "WHERE type = 'index' ORDER BY name")


def schema_indexes(t):
    """The indexes of a database no file was loaded into: the schema's (an
    empty file is refused; the database is made all the same)."""
    with open(t.p("empty.csv"), "w"):
        pass
    r = svc("import", "--db", t.p("schema.db"), "--kind", "dispatches",
            "--quiet", t.p("empty.csv"))
    check(r.code != 0, "an empty file is refused: %r" % r)
    return indexes(t.p("schema.db"))


def test_kill_at_several_points_then_rerun_equals_clean_run():
    with Tmp() as t:
        make_inbox(t)
        want_idx = schema_indexes(t)
        r = svc(*run_args(t, t.p("clean")))
        eq(r.code, 0, r)
        eq(indexes(t.p("svc.db")), want_idx, "indexes after a first night")
        want_db = snapshot(t.p("svc.db"), CLOCK)
        want_books = workbooks(t.p("clean"))
        eq(len(want_books), 3, want_books)
        check(len(want_db["dispatch"]) == N, "all dispatches loaded")
        if ON_PG:
            query(t.p("svc.db"), "DROP SCHEMA %s CASCADE" % schema_of(t.p("svc.db")))
        else:
            os.rename(t.p("svc.db"), t.p("clean.db"))
            for name in os.listdir(t.path):
                if name.startswith("svc.db"):
                    os.remove(t.p(name))
        # Killed on what the run says on its terminal (the progress), not
        # at a time: early import, mid-file, between the imports and the
        # report, mid-workbook, between workbooks.
        killed = []
        for k, (where, _) in enumerate(STEPS):
            # Without --quiet: the progress is the event (what a run says
            # is not stored, so the database and workbooks are the same).
            landed, text = kill_on(cmd(*run_args(t, t.p("out"))[:-1]),
                                   reached(k, t.p("out")),
                                   env=dict(os.environ, TZ="UTC"))
            if landed:
                killed.append(where)
            # Killed while a file's indexes were dropped (mid-file of a
            # first night): the database still has every one, and is whole.
            if not ON_PG and os.path.exists(t.p("svc.db")):
                eq(indexes(t.p("svc.db")), want_idx, "indexes after a kill (%s)" % where)
                eq(query(t.p("svc.db"), "PRAGMA integrity_check"), [("ok",)],
                   "integrity after a kill (%s)" % where)
            # Nothing partial is ever in place under a workbook's name: a
            # workbook in place is the clean run's.
            for n in os.listdir(t.p("out")) if os.path.isdir(t.p("out")) else []:
                if n.endswith(".xlsx"):
                    eq(sha256(t.p("out", n)), want_books.get(n),
                       "%s in place after a kill (%s)" % (n, where))
        # The last kill may come after the run's end (writing the audit
        # workbook and the record can take less time than reading a line).
        check(len(killed) >= len(STEPS) - 1,
              "the kills landed while the run was going (%s)" % killed)
        r = svc(*run_args(t, t.p("out")))
        eq(r.code, 0, r)
        eq(snapshot(t.p("svc.db"), CLOCK) == want_db, True, "database after kills differs")
        eq(indexes(t.p("svc.db")), want_idx, "indexes after kills and a rerun")
        eq(workbooks(t.p("out")), want_books, "workbooks after kills")
        leftovers = [n for n in os.listdir(t.p("out")) if not n.endswith(".xlsx")]
        # Temporaries of killed runs may remain (hidden names), never as *.xlsx.
        check(all(n.startswith(".") for n in leftovers), leftovers)
        # A re-run of a finished night changes nothing.
        r = svc(*run_args(t, t.p("out")))
        eq(r.code, 0, r)
        eq(snapshot(t.p("svc.db"), CLOCK) == want_db, True, "re-run changed the database")
        eq(workbooks(t.p("out")), want_books, "re-run changed the workbooks")


main(globals())
