#!/usr/bin/python3
"""t3060 -- re-runs (README "Re-runs"): a run with nothing new leaves the
workbooks in place untouched and says so, with the same summary counts;
anything the workbooks depend on (a new file, --buckets, --from, a deleted
or edited workbook, another output folder) writes them again, and the bytes
are those a fresh report would write."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (ROOT, Tmp, check, connect, eq, main, query, sha256,  # noqa: E402
                     sqlite_only, svc, DSP_HDR, CLO_HDR)
from xlsx_helpers import load  # noqa: E402

INBOX = os.path.join(ROOT, "sample-data", "inbox")
BOOKS = ["unclosed_calls_2026-03-12.xlsx", "non_compensable_2026-03-12.xlsx",
         "audit_2026-03-12.xlsx"]


def run(t, out="out", *extra, summary="s.json"):
    r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out", t.p(out),
            "--as-of", "2026-03-12", "--summary", t.p(summary), *extra)
    eq(r.code, 0, r)
    return r, json.load(open(t.p(summary)))


def state(t, out="out"):
    return {b: (sha256(t.p(out, b)), os.stat(t.p(out, b)).st_mtime_ns) for b in BOOKS}


def setup():
    t = Tmp()
    os.makedirs(t.p("inbox"))
    for n in os.listdir(INBOX):
        t.write("inbox/" + n, open(os.path.join(INBOX, n), "rb").read())
    return t


def test_nothing_new_leaves_the_workbooks_untouched():
    with setup() as t:
        _, s1 = run(t)
        before = state(t)
        r, s2 = run(t, summary="s2.json")
        check("are up to date (nothing new since they were written); left as they are"
              in r.err, r.err)
        eq(state(t), before, "workbooks rewritten")
        eq(s2["reports"], s1["reports"], "summary counts")
        eq(s2["control_totals"]["skipped"], 6)


def test_a_deleted_or_edited_workbook_is_written_again_with_the_same_bytes():
    with setup() as t:
        run(t)
        want = {b: v[0] for b, v in state(t).items()}
        os.remove(t.p("out", BOOKS[0]))
        with open(t.p("out", BOOKS[1]), "ab") as f:
            f.write(b"x")
        r, _ = run(t)
        check("up to date" not in r.err, r.err)
        eq({b: v[0] for b, v in state(t).items()}, want)


@sqlite_only("moves the SQLite file; on PostgreSQL another --db or --schema "
             "is another, empty database")
def test_a_moved_database_writes_the_workbooks_again_naming_it():
    # The Run and About sheets name the database, so a database moved to
    # another path (or copied with `svcrecon copy`) must not leave
    # workbooks that name the old one as "up to date".
    with setup() as t:
        run(t)
        os.rename(t.p("svc.db"), t.p("moved.db"))
        r = svc("run", "--db", t.p("moved.db"), "--inbox", t.p("inbox"),
                "--out", t.p("out"), "--as-of", "2026-03-12")
        eq(r.code, 0, r)
        check("up to date" not in r.err, r.err)
        book = load(t.p("out", "audit_2026-03-12.xlsx"))
        cells = [str(c) for ws in book.worksheets
                 for row in ws.iter_rows(values_only=True) for c in row
                 if c is not None]
        check(any(t.p("moved.db") in c for c in cells), "moved.db not named")
        check(not any(t.p("svc.db") in c for c in cells), "svc.db still named")


def set_stamp(t, stamp):
    con = connect(t.p("svc.db"))
    try:
        con.execute("UPDATE report_output SET stamp = ?", (stamp,))
        if hasattr(con, "commit"):  # sqlite3; PostgreSQL autocommits
            con.commit()
    finally:
        con.close()


def test_another_build_of_the_same_version_writes_the_workbooks_again():
    # An upgrade that changes how the workbooks look but not the version
    # number (1.0.0) must not find the old night's workbooks "up to date"
    # and keep the old layout: the stamp names the build (a hash of the
    # sources the workbooks are written from), never the workbook bytes.
    with setup() as t:
        run(t)
        first = state(t)
        stamp = query(t.p("svc.db"), "SELECT stamp FROM report_output")[0][0]
        # As the previous build of 1.0.0 recorded it (no build id), and
        # as another build would.
        before = re.sub(r" build [0-9a-f]+ xlsxwriter [^;]*;", ";", stamp)
        check(before != stamp, "the stamp names no build: " + stamp)
        other = re.sub(r" build [0-9a-f]+", " build " + "0" * 16, stamp)
        for old in (before, other):
            set_stamp(t, old)
            r, _ = run(t)
            check("up to date" not in r.err, r.err)
            now = state(t)
            eq({b: v[0] for b, v in now.items()},
               {b: v[0] for b, v in first.items()}, "the same bytes")
            check(all(now[b][1] != first[b][1] for b in BOOKS), "written again")
            first = now
            eq(query(t.p("svc.db"), "SELECT stamp FROM report_output")[0][0],
               stamp)
            r, _ = run(t)
            check("up to date" in r.err, r.err)


def test_statements_removed_say_whether_another_build_wrote_them():
    # A report without --statements removes statements_A unless it was
    # recorded with these very workbooks. After an upgrade (another build
    # id in the stamp) it said they were "written from other data" -- the
    # data was the same (qa71): it says another build of svcrecon wrote
    # them; a run after new data still says other data.
    with setup() as t:
        sd = t.p("out", "statements_2026-03-12")
        run(t, "out", "--statements")
        stamp = query(t.p("svc.db"), "SELECT stamp FROM report_output")[0][0]
        set_stamp(t, re.sub(r" build [0-9a-f]+", " build " + "0" * 16, stamp))
        r, _ = run(t)
        eq(os.path.exists(sd), False, "the statements of another build")
        check("removed " in r.err and "statements_2026-03-12" in r.err and
              "written by another build of svcrecon" in r.err and
              "other data" not in r.err, r.err)
        run(t, "out", "--statements")
        t.write("inbox/closeouts_2026-03-13.csv", CLO_HDR + "\n"
                "NJ0288,2026-03-12 09:00,D2603021,AEN40590,iPF6400,"
                "2026-03-11,Ray Delgado,1.0,RPL-HEAD,\n")
        r, _ = run(t)
        eq(os.path.exists(sd), False, "the statements of earlier data")
        check("written from other data than these workbooks" in r.err and
              "another build" not in r.err, r.err)


def test_new_data_or_other_options_write_again():
    with setup() as t:
        run(t)
        first = state(t)
        r, s = run(t, "out", "--buckets", "10,20")
        check("up to date" not in r.err, r.err)
        check(state(t)[BOOKS[0]][0] != first[BOOKS[0]][0], "buckets changed the workbook")
        r, _ = run(t, "out", "--buckets", "10,20")
        check("up to date" in r.err, r.err)
        r, _ = run(t, "other")          # another output folder: written there
        check("up to date" not in r.err, r.err)
        eq({b: v[0] for b, v in state(t, "other").items()},
           {b: v[0] for b, v in first.items()})
        t.csv("inbox/dispatches_2026-03-13.csv", DSP_HDR,
              ["ZZ1,2026-03-12 08:00,iPF780,NEW1,WA0377,New customer,,,"])
        r, s = run(t)
        check("up to date" not in r.err, r.err)
        eq(s["reports"]["unclosed_calls"]["rows"], 18)


def test_an_earlier_date_reported_again_writes_the_trend_again():
    """qa64: the Trend reads the recorded reports before A. An earlier date
    reported again after new data records other counts; a re-run of A then
    kept its workbook "up to date", its Trend still showing the old counts
    (the stamp counted those reports, and their count had not changed)."""
    with Tmp() as t:
        t.csv("d.csv", DSP_HDR, ["X1,2026-03-09 10:00,M1,S1,CA1,Cust,,,"])
        t.csv("c.csv", CLO_HDR, ["CA1,2026-03-09 12:00,X1,S1,M1,2026-03-09,Tech,1,R,"])
        db = t.p("svc.db")

        def rep(out, day, *extra):
            r = svc("report", "--db", db, "--out", t.p(out), "--as-of", day, *extra)
            eq(r.code, 0, r)
            return r

        def trend(out):
            ws = load(t.p(out, "unclosed_calls_2026-03-12.xlsx"))["Summary"]
            rows = list(ws.iter_rows(values_only=True))
            i = [k for k, row in enumerate(rows)
                 if row and str(row[0]).startswith("Trend")][0]
            return [(row[0].date().isoformat(), row[1]) for row in rows[i + 2:i + 5]]

        eq(svc("import", "--db", db, "--kind", "dispatches", t.p("d.csv")).code, 0)
        rep("out", "2026-03-10")                  # X1 open
        rep("out", "2026-03-11")
        eq(svc("import", "--db", db, "--kind", "closeouts", t.p("c.csv")).code, 0)
        rep("out", "2026-03-12")                  # Trend: 03-10 as recorded, 1 open
        eq(trend("out")[0], ("2026-03-10", 1))
        rep("out10", "2026-03-10")                # 03-10 again: now 0 open
        r = rep("out", "2026-03-12")
        check("up to date" not in r.err, r.err)
        eq(trend("out"), [("2026-03-10", 0), ("2026-03-11", 1), ("2026-03-12", 0)])
        rep("fresh", "2026-03-12")
        eq(sha256(t.p("out", BOOKS[0])), sha256(t.p("fresh", BOOKS[0])),
           "the workbook a fresh report writes")
        r = rep("out", "2026-03-12")              # nothing new now: up to date
        check("up to date" in r.err, r.err)


main(globals())
