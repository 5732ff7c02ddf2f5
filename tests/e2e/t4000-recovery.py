#!/usr/bin/python3
"""t4000 -- crash safety (SPEC §6): a run killed with SIGKILL at several
points (mid-file, between files, mid-workbook), then run again with the same
command, ends with the same database content and byte-identical workbooks
as an uninterrupted run; and a re-run of a finished night changes nothing."""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, SANITIZED, SVCRECON, VALGRIND, Tmp,  # noqa: E402
                     check, eq, main, query, sha256, svc)

# Big enough that kills land mid-file; smaller where every step is slower.
N = 3000 if VALGRIND else 25000 if SANITIZED else 60000
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


def snapshot(db):
    """Everything the database holds that does not depend on the clock."""
    out = {}
    for (table,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                              "ORDER BY name"):
        cols = [r[1] for r in query(db, "PRAGMA table_info(%s)" % table)
                if r[1] not in ("imported_at", "recorded_at", "delivered_at")]
        out[table] = query(db, "SELECT %s FROM %s ORDER BY rowid" % (", ".join(cols), table))
    return out


def workbooks(out):
    return {n: sha256(os.path.join(out, n)) for n in sorted(os.listdir(out))}


def run_args(t, out):
    return ["run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out", out,
            "--as-of", AS_OF, "--quiet"]


def test_kill_at_several_points_then_rerun_equals_clean_run():
    with Tmp() as t:
        make_inbox(t)
        start = time.time()
        r = svc(*run_args(t, t.p("clean")))
        clean_secs = time.time() - start
        eq(r.code, 0, r)
        want_db = snapshot(t.p("svc.db"))
        want_books = workbooks(t.p("clean"))
        eq(len(want_books), 3, want_books)
        check(len(want_db["dispatch"]) == N, "all dispatches loaded")
        os.rename(t.p("svc.db"), t.p("clean.db"))
        for name in os.listdir(t.path):
            if name.startswith("svc.db"):
                os.remove(t.p(name))
        # Kill at fractions of the clean run's time: early import, mid-file,
        # late import, reporting. Each killed run keeps the files it
        # committed, so the next one has less to do: the early points are
        # dense, so that kills still land when the import is fast.
        killed = 0
        for frac in (0.05, 0.12, 0.2, 0.28, 0.35, 0.5, 0.65, 0.8, 0.95):
            p = subprocess.Popen([SVCRECON] + run_args(t, t.p("out")),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=dict(os.environ, TZ="UTC"))
            time.sleep(clean_secs * frac)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed += 1
            p.wait()
            # Nothing partial is ever in place under a workbook's name.
            for n in os.listdir(t.p("out")) if os.path.isdir(t.p("out")) else []:
                if n.endswith(".xlsx"):
                    check(n in want_books, "unexpected file %s" % n)
        check(killed >= 4, "the kills landed while the run was going (%d)" % killed)
        r = svc(*run_args(t, t.p("out")))
        eq(r.code, 0, r)
        eq(snapshot(t.p("svc.db")) == want_db, True, "database after kills differs")
        eq(workbooks(t.p("out")), want_books, "workbooks after kills")
        leftovers = [n for n in os.listdir(t.p("out")) if not n.endswith(".xlsx")]
        # Temporaries of killed runs may remain (hidden names), never as *.xlsx.
        check(all(n.startswith(".") for n in leftovers), leftovers)
        # A re-run of a finished night changes nothing.
        r = svc(*run_args(t, t.p("out")))
        eq(r.code, 0, r)
        eq(snapshot(t.p("svc.db")) == want_db, True, "re-run changed the database")
        eq(workbooks(t.p("out")), want_books, "re-run changed the workbooks")


main(globals())
