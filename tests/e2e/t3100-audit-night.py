#!/usr/bin/python3
"""t3090 -- the night of an audit workbook (SPEC §4; issue 12): the audit as
of A lists the files delivered since the previous report, each once with its
status (loaded, refused, unreadable with the system's reason, skipped naming
the earlier file and when it was imported), only their rejected rows, and the database's totals apart;
re-runs give the same bytes; `import` then `report`; a night killed with
SIGKILL between its imports and its report, or mid-import, lists everything
once run again; a version-3 database upgrades in place; a report as of an
earlier date than the last recorded one keeps its own night."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SANITIZED, SCHEMA_VERSION,  # noqa: E402
                     VALGRIND, Tmp, book_digest, check, cmd, db_exists,
                     downgrade_to_version_3, eq, main, query, settle, sha256, sqlite_only, svc)

import openpyxl  # noqa: E402

N1, N2 = "2026-03-11", "2026-03-12"
FILE_HDR = ["File", "Kind", "SHA-256", "Rows read", "Loaded", "Rejected",
            "Status", "Reason", "Size (bytes)", "Path"]


def night1(t, inbox="inbox1"):
    t.csv(inbox + "/registrations_1.csv", REG_HDR, [
        "NY01,Acme,iPF8400S,SN1,2025-01-01,N,",
        "NY02,Bolt,iPF8400S,SN2,2025-01-01,N,",
        "NY03,Cato,iPF8400S,SN3,2025-13-01,N,"])            # line 4 rejected
    t.csv(inbox + "/dispatches_1.csv", DSP_HDR, [
        "D1,2026-03-10 09:00,iPF8400S,SN1,NY01,Cust,10001,P1,OPEN",
        "D2,2026-03-10 10:00,iPF8400S,SN2,NY02,Cust,10001,P1,OPEN",
        "D3,2026-03-10 11:00,,SN2,NY02,Cust,10001,P1,OPEN"])  # line 4 rejected
    t.csv(inbox + "/closeouts_1.csv", CLO_HDR, [
        "NY01,2026-03-11 12:00,D1,SN1,iPF8400S,2026-03-11,Tech,1.5,R1,"])
    t.write(inbox + "/closeouts_bad.csv", "dealer_id,nothing\nNY01,x\n")


def night2(t):
    """Night 2's inbox: night 1's files again (re-delivered), and new ones."""
    night1(t, "inbox2")
    t.csv("inbox2/dispatches_2.csv", DSP_HDR, [
        "D4,2026-03-12 09:00,iPF8400S,SN1,NY01,Cust,10001,P1,OPEN",
        "D5,2026-03-12 09:30,iPF8400S,SN1,NY01,Cust,10001,P1,MAYBE"])  # line 3


def run(t, inbox, as_of, out="out", summary=None, code=65):
    args = ["run", "--db", "svc.db", "--inbox", inbox, "--out", out, "--as-of", as_of]
    if summary:
        args += ["--summary", summary]
    r = svc(*args, cwd=t.path)
    eq(r.code, code, r)
    return r


def audit(t, as_of, out="out"):
    return t.p(out, "audit_%s.xlsx" % as_of)


def run_sheet(path):
    """The Run sheet: {label: row} of its key lines, the night's file table
    (list of dicts) and the totals block (label: value)."""
    ws = openpyxl.load_workbook(path)["Run"]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    files, totals, keys = [], {}, {}
    i = 0
    while i < len(rows):
        a = rows[i][0]
        if a == "Files of the night" and rows[i + 1][0] == "File":
            eq(list(rows[i + 1][:10]), FILE_HDR, "file table header")
            i += 2
            while i < len(rows) and rows[i][0] not in (None, "(none)"):
                files.append(dict(zip(FILE_HDR, rows[i][:10])))
                i += 1
            continue
        if a == "Database totals since its first import":
            for r in rows[i + 1:i + 5]:
                totals[r[0]] = (r[1], r[2])
            break
        if a is not None and a not in keys:
            keys[a] = tuple(rows[i][1:3])
        i += 1
    return keys, files, totals


def rejected(path):
    wb = openpyxl.load_workbook(path)
    rows = []
    for ws in wb.worksheets:
        if ws.title.startswith("Rejected rows"):
            rows += [tuple(r[:3]) for r in ws.iter_rows(min_row=2, values_only=True)]
    return rows


def status_of(files):
    return [(f["File"], f["Status"]) for f in files]


def when_imported(db, name):
    (at,) = query(db, "SELECT imported_at FROM imported_file WHERE name = ? "
                      "AND status = 'loaded'", (name,))[0]
    return at.replace("T", " ").replace("Z", " UTC")


def two_nights(t):
    night1(t)
    night2(t)
    run(t, "inbox1", N1, summary="s1.json")
    run(t, "inbox2", N2, summary="s2.json")


def test_two_nights_with_redelivery():
    with Tmp() as t:
        two_nights(t)
        db = t.p("svc.db")
        keys, files, totals = run_sheet(audit(t, N1))
        eq(status_of(files), [("registrations_1.csv", "loaded"),
                              ("dispatches_1.csv", "loaded"),
                              ("closeouts_1.csv", "loaded"),
                              ("closeouts_bad.csv", "refused")], "night 1")
        eq(keys["Follows the report as of"][0],
           "(none: the files below are every file delivered so far)", "night 1 follows")

        keys, files, totals = run_sheet(audit(t, N2))
        eq(status_of(files), [("registrations_1.csv", "skipped"),
                              ("dispatches_1.csv", "skipped"),
                              ("dispatches_2.csv", "loaded"),
                              ("closeouts_1.csv", "skipped"),
                              ("closeouts_bad.csv", "refused")], "night 2")
        eq(keys["Follows the report as of"][0].date().isoformat(), N1, "night 2 follows")
        for f in files:
            if f["Status"] == "skipped":
                eq(f["Reason"], "same bytes as %s, imported %s"
                   % (f["File"], when_imported(db, f["File"])), "skip names the earlier file")
                eq((f["Rows read"], f["Loaded"], f["Rejected"]), (0, 0, 0), "nothing read")
        d2 = [f for f in files if f["File"] == "dispatches_2.csv"][0]
        eq((d2["Rows read"], d2["Loaded"], d2["Rejected"]), (2, 1, 1), "night 2 counts")
        eq(keys["Files of the night"][:2],
           (5, "1 loaded, 1 refused, 0 unreadable, 3 skipped"), "night line")
        eq(keys["Rows read"][0], 2, "the night's rows read")
        # Only night 2's rejects: its loaded file's row, the refusal again.
        rj = rejected(audit(t, N2))
        eq([r[:2] for r in rj], [("dispatches_2.csv", 3), ("closeouts_bad.csv", 0)],
           "night 2 rejected rows")
        check("header lacks required columns" in rj[1][2], rj[1][2])
        # The database's totals stand apart: every file and row so far.
        eq(totals["Files imported"], (5, "4 loaded, 1 refused"), "totals: files")
        eq(totals["Rows read"][0], 9, "totals: rows read")
        eq(totals["Rows loaded"][0], 6, "totals: rows loaded")
        eq(totals["Rows rejected"][0], 3, "totals: rows rejected")
        # --summary: the run's own files, and the night as the audit lists it.
        s = json.load(open(t.p("s2.json")))
        eq([(f["name"], f["status"], f["rows_read"]) for f in s["reports"]["audit"]["files"]],
           [(f["File"], f["Status"], f["Rows read"]) for f in files], "summary night")
        eq(s["control_totals"]["skipped"], 3, "summary: this run's skips")


def test_rerun_of_a_night_is_identical_and_adds_nothing():
    with Tmp() as t:
        two_nights(t)
        db = t.p("svc.db")
        before = {n: sha256(t.p("out", n)) for n in os.listdir(t.p("out"))}
        n_rows = query(db, "SELECT COUNT(*) FROM delivery")
        r = run(t, "inbox2", N2)
        check("up to date" in r.err, r.err)
        eq(query(db, "SELECT COUNT(*) FROM delivery"), n_rows, "a retry adds no delivery")
        os.remove(audit(t, N2))           # written again, not left in place
        r = run(t, "inbox2", N2)
        check("up to date" not in r.err, r.err)
        eq({n: sha256(t.p("out", n)) for n in os.listdir(t.p("out"))}, before,
           "workbooks after the re-run")


def test_import_then_report():
    with Tmp() as t:
        night1(t)
        night2(t)
        for kind in ("registrations", "dispatches", "closeouts"):
            r = svc("import", "--db", "svc.db", "--kind", kind,
                    "inbox1/%s_1.csv" % kind, cwd=t.path)
            eq(r.code, 0, r)
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", N1, cwd=t.path)
        eq(r.code, 0, r)
        eq(status_of(run_sheet(audit(t, N1))[1]), [("registrations_1.csv", "loaded"),
                                                    ("dispatches_1.csv", "loaded"),
                                                    ("closeouts_1.csv", "loaded")], "night 1")
        r = svc("import", "--db", "svc.db", "--kind", "dispatches",
                "inbox2/dispatches_1.csv", "inbox2/dispatches_2.csv", cwd=t.path)
        eq(r.code, 0, r)
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", N2, cwd=t.path)
        eq(r.code, 0, r)
        eq(status_of(run_sheet(audit(t, N2))[1]), [("dispatches_1.csv", "skipped"),
                                                    ("dispatches_2.csv", "loaded")], "night 2")
        eq([r[:2] for r in rejected(audit(t, N2))], [("dispatches_2.csv", 3)], "rejects")


def test_unreadable_file_is_listed_with_its_reason():
    with Tmp() as t:
        night1(t)
        os.mkfifo(t.p("inbox1", "dispatches_0.csv"))      # not a regular file
        r = run(t, "inbox1", N1, code=66, summary="s.json")
        # the reason kept says what to do, as stderr does: the Run sheet,
        # Rejected rows and the summary gave the fact alone (qa72)
        why = ("cannot open: not a regular file; deliver it as a readable, "
               "regular CSV file")
        check("inbox1/dispatches_0.csv: %s\n" % why in r.err, r.err)
        files = run_sheet(audit(t, N1))[1]
        eq(status_of(files)[1], ("dispatches_0.csv", "unreadable"), "listed")
        eq(files[1]["Reason"], why, "its reason")
        check(("dispatches_0.csv", 0, why)
              in rejected(audit(t, N1)), "a line 0 of Rejected rows")
        with open(t.p("s.json")) as f:
            eq([g["reason"] for g in json.load(f)["files"]
                if g["status"] == "unreadable"], [why], "the summary's reason")
        n = query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery")
        run(t, "inbox1", N1, code=66)
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery"), n, "recorded once")


# ---- kills ------------------------------------------------------------------

# On PostgreSQL (a round trip a row: about 4,000 rows/s on a local socket)
# a smaller night takes as long as SQLite's 60,000.
N = 3000 if VALGRIND else 10000 if ON_PG else 20000 if SANITIZED else 60000


def big_night(t):
    t.csv("inbox/registrations_1.csv", REG_HDR,
          ["D%d,Dealer,iPF8400S,SN%06d,2025-01-01,N," % (i % 40, i) for i in range(N // 5)])
    for k in (1, 2, 3):
        t.csv("inbox/dispatches_%d.csv" % k, DSP_HDR,
              ["C%d%07d,2026-03-%02d 09:00,iPF8400S,SN%06d,D%d,Cust,10001,P1,OPEN"
               % (k, i, 1 + i % 10, i % (N // 5), i % 40) for i in range(N)]
              + ["C%d-bad,2026-03-01 09:00,,SN1,D1,Cust,10001,P1,OPEN" % k])
    t.write("inbox/closeouts_bad.csv", "dealer_id\nx\n")


def deliveries(db):
    if ON_PG:
        try:
            return query(db, "SELECT COUNT(*) FROM delivery")[0][0]
        except Exception:       # not there yet
            return -1
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=0.05)
        try:
            return con.execute("SELECT COUNT(*) FROM delivery").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def kill_when(t, ready):
    """Starts the night and kills it with SIGKILL once ready(t) holds; True
    when the kill landed while it was running."""
    p = subprocess.Popen(cmd("run", "--db", "svc.db", "--inbox", "inbox",
                             "--out", "out", "--as-of", N1, "--quiet", cwd=t.path), cwd=t.path,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, TZ="UTC"))
    landed = False
    while p.poll() is None:
        if db_exists(t.p("svc.db")) and ready(t):
            p.send_signal(signal.SIGKILL)
            landed = p.wait() == -signal.SIGKILL
            break
        time.sleep(0.005)
    p.wait()
    waited = settle()
    if waited > 0.5:
        print("(the killed run's server session ended %.1f s after the kill)" % waited)
    return landed


def killed_then_rerun(ready, what):
    with Tmp() as clean, Tmp() as t:
        big_night(clean)
        run(clean, "inbox", N1)
        want = book_digest(audit(clean, N1))
        big_night(t)
        check(kill_when(t, ready), "the kill %s landed while the run was going" % what)
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM report_run"), [(0,)],
           "killed before its report was recorded")
        got = deliveries(t.p("svc.db"))
        run(t, "inbox", N1)
        eq(book_digest(audit(t, N1)), want, "audit after a kill %s" % what)
        eq(status_of(run_sheet(audit(t, N1))[1]), status_of(run_sheet(audit(clean, N1))[1]),
           "files listed")
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery"),
           query(clean.p("svc.db"), "SELECT COUNT(*) FROM delivery"), "deliveries")
        return got


def test_kill_between_imports_and_report_then_rerun():
    # Every file delivered (4 loaded + 1 refused), the report not recorded.
    got = killed_then_rerun(lambda t: deliveries(t.p("svc.db")) >= 5,
                            "between the imports and the report")
    eq(got, 5, "all five files were recorded before the kill")


def test_kill_mid_import_then_rerun():
    # Killed once the first file is in, while the next ones load.
    got = killed_then_rerun(lambda t: deliveries(t.p("svc.db")) >= 1, "mid-import")
    check(1 <= got < 5, "the kill landed among the imports (%d recorded)" % got)



def writing_a_workbook(t):
    """A workbook is being written: the run's temporary folder in the output
    folder (reports/report.c, ".svcrecon-tmp-PID") holds a file besides its
    owner lock."""
    out = t.p("out")
    for name in os.listdir(out) if os.path.isdir(out) else []:
        sub = os.path.join(out, name)
        if name.startswith(".svcrecon-tmp-") and os.path.isdir(sub):
            try:
                if set(os.listdir(sub)) - {"owner.lock", "owner.lock.new"}:
                    return True
            except FileNotFoundError:
                pass
    return False


def test_kill_mid_workbook_then_rerun():
    # Every import done, killed while the first workbooks are being written.
    got = killed_then_rerun(writing_a_workbook, "mid-workbook")
    eq(got, 5, "all five files were recorded before the workbooks")


# ---- upgrade, and a report as of an earlier date ------------------------------

@sqlite_only("version-3 databases exist only as SQLite files: PostgreSQL "
             "came with schema version 5")
def test_upgrade_from_a_version_3_database():
    with Tmp() as t:
        two_nights(t)
        db = t.p("svc.db")
        want = status_of(run_sheet(audit(t, N2))[1])
        # Back to schema version 3 (001-003 are unchanged by versions 4-5):
        # night 1 imported at 01:00, reported at 02:00; night 2 at 03:00.
        downgrade_to_version_3(db, before="""
            UPDATE imported_file SET imported_at = CASE
                WHEN name = 'dispatches_2.csv' THEN '2026-03-12T03:00:00Z'
                ELSE '2026-03-11T01:00:00Z' END;
            UPDATE report_run SET recorded_at = CASE as_of WHEN '%s'
                THEN '2026-03-11T02:00:00Z' ELSE '2026-03-12T04:00:00Z' END;""" % N1)
        os.remove(audit(t, N2))
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", N2, cwd=t.path)
        eq(r.code, 0, r)
        eq(query(db, "PRAGMA user_version"), [(SCHEMA_VERSION,)], "upgraded")
        eq(query(db, "SELECT file_id, status, delivered_at FROM delivery ORDER BY 1"),
           query(db, "SELECT file_id, status, imported_at FROM imported_file ORDER BY 1"),
           "files imported before count as delivered when imported")
        # Before the upgrade nothing recorded the skips: night 2 is the file
        # imported after night 1's report.
        eq(status_of(run_sheet(audit(t, N2))[1]), [("dispatches_2.csv", "loaded")],
           "night 2 after the upgrade")
        check(("dispatches_2.csv", "loaded") in want, want)
        eq([r[:2] for r in rejected(audit(t, N2))], [("dispatches_2.csv", 3)], "rejects")


def test_report_as_of_an_earlier_date():
    with Tmp() as t:
        two_nights(t)
        first = run_sheet(audit(t, N1))[1]
        first_rejects = rejected(audit(t, N1))
        # Night 1 again, after night 2 was recorded: still night 1's files.
        r = svc("report", "--db", "svc.db", "--out", "again", "--as-of", N1, cwd=t.path)
        eq(r.code, 0, r)
        eq(run_sheet(audit(t, N1, "again"))[1], first, "night 1 re-run after night 2")
        eq(rejected(audit(t, N1, "again")), first_rejects, "its rejects")
        # Night 2 re-run after that: unchanged (it still follows night 1).
        keep = sha256(audit(t, N2))
        r = svc("report", "--db", "svc.db", "--out", "again", "--as-of", N2, cwd=t.path)
        eq(r.code, 0, r)
        eq(sha256(audit(t, N2, "again")), keep, "night 2 unchanged")
        # Earlier than every recorded report: no previous report, so every
        # file delivered so far, each once as first delivered.
        r = svc("report", "--db", "svc.db", "--out", "again", "--as-of", "2026-03-10",
                cwd=t.path)
        eq(r.code, 0, r)
        keys, files, _ = run_sheet(audit(t, "2026-03-10", "again"))
        eq(status_of(files), status_of(first) + [("dispatches_2.csv", "loaded")],
           "every file")


main(globals())
